/** `user_exports`: how far each user actor has exported its log to R2 (objects/user/log-export.ts). */
import { inArray, min } from 'drizzle-orm';
import { database } from './client';
import { backups, userExports } from './schema';

export type UserExport = typeof userExports.$inferInsert;

/** Records a user's latest export; a user deleted meanwhile is left alone (no row without a user). */
export async function reportExport(db: D1Database, row: UserExport): Promise<void> {
  try {
    await database(db)
      .insert(userExports)
      .values(row)
      .onConflictDoUpdate({
        target: userExports.userId,
        set: {
          chain: row.chain,
          lastSeq: row.lastSeq,
          events: row.events,
          segments: row.segments,
          updatedAt: row.updatedAt,
          auditKey: row.auditKey ?? null,
          auditEntries: row.auditEntries ?? null,
        },
      });
  } catch (error) {
    if (/FOREIGN KEY/i.test(String(error))) return;
    throw error;
  }
}

/**
 * When the oldest backup that may still be restored started (complete or running runs), or
 * null when there is none: segments superseded before it are needed by no backup.
 */
export async function oldestRetainedBackup(db: D1Database): Promise<number | null> {
  const row = await database(db)
    .select({ at: min(backups.startedAt) })
    .from(backups)
    .where(inArray(backups.status, ['complete', 'running']))
    .get();
  return row?.at ?? null;
}
