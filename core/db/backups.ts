/** The `backups` table: one row per export run, which the operator endpoints read. */
import { and, desc, eq } from 'drizzle-orm';
import { database } from './client';
import { backups } from './schema';

export type BackupRow = typeof backups.$inferSelect;
export type BackupTableEntry = BackupRow['tables'][number];

/** Records a run as running; a retry that finds the row already there changes nothing. */
export async function insertRun(db: D1Database, run: { id: string; prefix: string; startedAt: number }): Promise<void> {
  await database(db)
    .insert(backups)
    .values({ ...run, status: 'running', tables: [] })
    .onConflictDoNothing();
}

/** The tables exported so far, while the run is still running. */
export async function recordProgress(db: D1Database, id: string, tables: BackupTableEntry[]): Promise<void> {
  await database(db)
    .update(backups)
    .set({ tables })
    .where(and(eq(backups.id, id), eq(backups.status, 'running')));
}

export async function completeRun(
  db: D1Database,
  id: string,
  finishedAt: number,
  tables: BackupTableEntry[],
  actors: { users: number; events: number } | null = null,
): Promise<void> {
  await database(db)
    .update(backups)
    .set({ status: 'complete', finishedAt, tables, users: actors?.users ?? null, events: actors?.events ?? null })
    .where(and(eq(backups.id, id), eq(backups.status, 'running')));
}

/** Marks a running run failed; a run that completed stays complete. */
export async function failRun(db: D1Database, id: string, finishedAt: number, error: string): Promise<void> {
  await database(db)
    .update(backups)
    .set({ status: 'failed', finishedAt, error })
    .where(and(eq(backups.id, id), eq(backups.status, 'running')));
}

export async function findRun(db: D1Database, id: string): Promise<BackupRow | undefined> {
  return database(db).select().from(backups).where(eq(backups.id, id)).get();
}

/** Runs, newest first. */
export async function listRuns(db: D1Database, limit: number): Promise<BackupRow[]> {
  return database(db).select().from(backups).orderBy(desc(backups.startedAt), desc(backups.id)).limit(limit);
}

/** Runs of one status, newest first: retention walks them. */
export async function runsWithStatus(
  db: D1Database,
  status: 'complete' | 'failed',
): Promise<Pick<BackupRow, 'id' | 'prefix'>[]> {
  return database(db)
    .select({ id: backups.id, prefix: backups.prefix })
    .from(backups)
    .where(eq(backups.status, status))
    .orderBy(desc(backups.startedAt), desc(backups.id));
}

export async function deleteRun(db: D1Database, id: string): Promise<void> {
  await database(db).delete(backups).where(eq(backups.id, id));
}
