/** API keys in D1: only hashes are stored; the previous hash stays valid through a rotation grace. */
import { and, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import { err, type NotFound, ok, type Result } from '../result';
import { database } from './client';
import { apiKeys } from './schema';

export type ApiKeyRow = typeof apiKeys.$inferSelect;

export const insertApiKey = async (db: D1Database, row: typeof apiKeys.$inferInsert) => {
  await database(db).insert(apiKeys).values(row);
};

export const listApiKeys = (db: D1Database, userId: string) =>
  database(db)
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)))
    .orderBy(apiKeys.createdAt);

export const findApiKey = (db: D1Database, userId: string, id: string) =>
  database(db)
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.id, id), eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)))
    .get();

/** The live key whose current secret, or previous secret within its grace, hashes to `hash`. */
export function findKeyByHash(db: D1Database, hash: string, now = Date.now()) {
  return database(db)
    .select()
    .from(apiKeys)
    .where(
      and(
        isNull(apiKeys.revokedAt),
        or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now)),
        or(eq(apiKeys.keyHash, hash), and(eq(apiKeys.previousKeyHash, hash), gt(apiKeys.previousExpiresAt, now))),
      ),
    )
    .get();
}

export async function revokeApiKey(db: D1Database, userId: string, id: string): Promise<Result<null, NotFound>> {
  const result = await database(db)
    .update(apiKeys)
    .set({ revokedAt: Date.now() })
    .where(and(eq(apiKeys.id, id), eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)));
  return result.meta.changes === 1 ? ok(null) : err({ type: 'not_found' });
}

/** Revokes every live key of the user created before `before` (all by default); answers their ids. */
export async function revokeApiKeysOf(db: D1Database, userId: string, before = Number.POSITIVE_INFINITY) {
  const rows = await database(db)
    .update(apiKeys)
    .set({ revokedAt: Date.now() })
    .where(
      and(
        eq(apiKeys.userId, userId),
        isNull(apiKeys.revokedAt),
        Number.isFinite(before) ? lt(apiKeys.createdAt, before) : undefined,
      ),
    )
    .returning({ id: apiKeys.id });
  return rows.map((r) => r.id);
}

export async function rotateApiKey(
  db: D1Database,
  userId: string,
  id: string,
  next: { keyHash: string; prefix: string; previousExpiresAt: number },
): Promise<Result<null, NotFound>> {
  const result = await database(db)
    .update(apiKeys)
    .set({
      previousKeyHash: sql`${apiKeys.keyHash}`,
      previousExpiresAt: next.previousExpiresAt,
      keyHash: next.keyHash,
      prefix: next.prefix,
    })
    .where(and(eq(apiKeys.id, id), eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)));
  return result.meta.changes === 1 ? ok(null) : err({ type: 'not_found' });
}

/** Adds usage counted by the user's actor since its last flush. */
export async function addKeyUsage(
  db: D1Database,
  usage: { id: string; count: number; lastUsedAt: number }[],
): Promise<void> {
  if (usage.length === 0) return;
  const d = database(db);
  const [first, ...rest] = usage.map((u) =>
    d
      .update(apiKeys)
      .set({
        useCount: sql`${apiKeys.useCount} + ${u.count}`,
        lastUsedAt: sql`max(coalesce(${apiKeys.lastUsedAt}, 0), ${u.lastUsedAt})`,
      })
      .where(eq(apiKeys.id, u.id)),
  );
  await d.batch([first!, ...rest]);
}
