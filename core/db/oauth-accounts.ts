/** Connected provider accounts in D1. Tokens arrive here already sealed; nothing here decrypts. */
import { and, eq, gt, isNotNull, or, sql } from 'drizzle-orm';
import { err, type NotFound, ok, type Result } from '../result';
import { database } from './client';
import { oauthAccounts, users } from './schema';
import { unlessTaken } from './users';

export type OAuthAccountRow = typeof oauthAccounts.$inferSelect;
export type ConnectionStatus = OAuthAccountRow['status'];

export interface SealedTokens {
  accessTokenEnc: string;
  refreshTokenEnc: string | null;
  expiresAt: number | null;
  scope: string | null;
}

export const findByIdentity = (db: D1Database, provider: string, providerUserId: string) =>
  database(db)
    .select()
    .from(oauthAccounts)
    .where(and(eq(oauthAccounts.provider, provider), eq(oauthAccounts.providerUserId, providerUserId)))
    .get();

export const findConnection = (db: D1Database, userId: string, provider: string) =>
  database(db)
    .select()
    .from(oauthAccounts)
    .where(and(eq(oauthAccounts.userId, userId), eq(oauthAccounts.provider, provider)))
    .get();

export const listConnections = (db: D1Database, userId: string) =>
  database(db).select().from(oauthAccounts).where(eq(oauthAccounts.userId, userId)).orderBy(oauthAccounts.createdAt);

/** Links an identity to a user; false when the identity or the user's slot for the provider is taken. */
export const insertConnection = (db: D1Database, row: typeof oauthAccounts.$inferInsert) =>
  unlessTaken(async () => {
    await database(db).insert(oauthAccounts).values(row);
  });

/** New tokens from a sign-in or a refresh; the connection is healthy again. */
export async function storeTokens(
  db: D1Database,
  id: string,
  tokens: SealedTokens & { email?: string | null; emailVerified?: boolean },
  now = Date.now(),
): Promise<void> {
  await database(db)
    .update(oauthAccounts)
    .set({ ...tokens, status: 'ok', lastRefreshedAt: now })
    .where(eq(oauthAccounts.id, id));
}

/** The connection as a refresh read it: its row and the sealed refresh token it held then. */
export interface RefreshedRow {
  id: string;
  refreshTokenEnc: string;
}

const unchanged = (row: RefreshedRow) =>
  and(eq(oauthAccounts.id, row.id), eq(oauthAccounts.refreshTokenEnc, row.refreshTokenEnc));

/**
 * A refresh's write: applied only while the connection still holds the refresh token the
 * refresh used, so a relink or unlink meanwhile is never overwritten. False when skipped.
 */
export async function updateIfUnchanged(
  db: D1Database,
  row: RefreshedRow,
  changes: Partial<SealedTokens> & { status: ConnectionStatus; lastRefreshedAt?: number },
): Promise<boolean> {
  const result = await database(db).update(oauthAccounts).set(changes).where(unchanged(row));
  return result.meta.changes === 1;
}

/**
 * Unlinks in one statement that also checks the user keeps a way to sign in (a password or
 * another connection), so two concurrent unlinks cannot both pass the check.
 */
export async function unlinkConnection(
  db: D1Database,
  userId: string,
  provider: string,
): Promise<Result<OAuthAccountRow, NotFound | { type: 'only_sign_in' }>> {
  const deleted = await database(db)
    .delete(oauthAccounts)
    .where(
      and(
        eq(oauthAccounts.userId, userId),
        eq(oauthAccounts.provider, provider),
        sql`(exists (select 1 from ${users} where ${users.id} = ${userId} and ${users.passwordHash} is not null)
             or (select count(*) from ${oauthAccounts} where ${oauthAccounts.userId} = ${userId}) > 1)`,
      ),
    )
    .returning();
  if (deleted[0]) return ok(deleted[0]);
  return err({ type: (await findConnection(db, userId, provider)) ? 'only_sign_in' : 'not_found' });
}

/**
 * Deletes the tokens of every connection of a user (the links stay, as ways to sign in, now
 * `reauth_required`); answers the connections that held tokens, as they were.
 */
export async function clearTokensOf(db: D1Database, userId: string): Promise<OAuthAccountRow[]> {
  const holding = and(
    eq(oauthAccounts.userId, userId),
    or(isNotNull(oauthAccounts.accessTokenEnc), isNotNull(oauthAccounts.refreshTokenEnc)),
  );
  const held = await database(db).select().from(oauthAccounts).where(holding);
  if (held.length === 0) return [];
  await database(db)
    .update(oauthAccounts)
    .set({ accessTokenEnc: null, refreshTokenEnc: null, expiresAt: null, status: 'reauth_required' })
    .where(holding);
  return held;
}

/** Deletes the connections linked after `since` (ms); answers their providers. */
export async function unlinkAddedSince(db: D1Database, userId: string, since: number): Promise<string[]> {
  const deleted = await database(db)
    .delete(oauthAccounts)
    .where(and(eq(oauthAccounts.userId, userId), gt(oauthAccounts.createdAt, since)))
    .returning({ provider: oauthAccounts.provider });
  return deleted.map((row) => row.provider);
}
