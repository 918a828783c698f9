/** Queries on the users table. */
import { and, eq, sql } from 'drizzle-orm';
import { type Conflict, err, ok, type Result } from '../result';
import { database } from './client';
import { users } from './schema';

export type UserRow = typeof users.$inferSelect;

/** The public profile, as the API shows it. */
export interface Profile {
  id: string;
  email: string;
  name: string | null;
  mfa_enabled: boolean;
  /** True once this backend proved the address with an emailed link (`email_verified_at`). */
  email_verified: boolean;
  created_at: string;
}

export const toProfile = (row: UserRow): Profile => ({
  id: row.id,
  email: row.email,
  name: row.name,
  mfa_enabled: row.mfaEnabled,
  email_verified: row.emailVerifiedAt !== null,
  created_at: new Date(row.createdAt).toISOString(),
});

export function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (/UNIQUE constraint failed/i.test(e.message)) return true;
  }
  return false;
}

/** Runs a write; a unique key that is taken is the expected `conflict`, anything else a bug. */
export async function unlessTaken<T>(write: () => Promise<T>): Promise<Result<T, Conflict>> {
  try {
    return ok(await write());
  } catch (error) {
    if (isUniqueViolation(error)) return err({ type: 'conflict' });
    throw error;
  }
}

/** Inserts a user; `conflict` when the email is taken (case-insensitively). */
export const insertUser = (db: D1Database, row: typeof users.$inferInsert) =>
  unlessTaken(async () => {
    await database(db).insert(users).values(row);
  });

export async function findUserByEmail(db: D1Database, email: string): Promise<UserRow | undefined> {
  return database(db).select().from(users).where(sql`lower(${users.email}) = lower(${email})`).get();
}

export async function findUserById(db: D1Database, id: string): Promise<UserRow | undefined> {
  return database(db).select().from(users).where(eq(users.id, id)).get();
}

export async function userExists(db: D1Database, id: string): Promise<boolean> {
  const row = await database(db).select({ id: users.id }).from(users).where(eq(users.id, id)).get();
  return row !== undefined;
}

export async function updateUser(
  db: D1Database,
  id: string,
  patch: Partial<
    Pick<
      UserRow,
      'name' | 'passwordHash' | 'passwordSetAt' | 'mfaEnabled' | 'email' | 'emailVerified' | 'emailVerifiedAt'
    >
  >,
): Promise<UserRow | undefined> {
  return database(db)
    .update(users)
    .set({ ...patch, updatedAt: Date.now() })
    .where(eq(users.id, id))
    .returning()
    .get();
}

/**
 * Marks the address proven, only while it is still the account's address (an emailed link for
 * an address the account has since left is void): the updated row, or undefined. The first
 * proof's time stays, since DESIGN §6 measures what a verified merge revokes from it.
 */
export async function markEmailVerified(db: D1Database, id: string, email: string, at: number) {
  return database(db)
    .update(users)
    .set({ emailVerified: true, emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, ${at})`, updatedAt: at })
    .where(and(eq(users.id, id), sql`lower(${users.email}) = lower(${email})`))
    .returning()
    .get();
}

/**
 * Moves the account to `email`, proven by an emailed link, only while its address is still
 * `from`; `conflict` when another account holds it (the unique index decides under races).
 */
export const changeEmail = (db: D1Database, id: string, from: string, email: string, at: number) =>
  unlessTaken(() =>
    database(db)
      .update(users)
      .set({ email, emailVerified: true, emailVerifiedAt: at, updatedAt: at })
      .where(and(eq(users.id, id), sql`lower(${users.email}) = lower(${from})`))
      .returning()
      .get(),
  );

/** Deletes the user; every table that references it cascades. */
export async function deleteUser(db: D1Database, id: string): Promise<void> {
  await database(db).delete(users).where(eq(users.id, id));
}
