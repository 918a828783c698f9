/** Queries on the users table. */
import { eq, sql } from 'drizzle-orm';
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
  created_at: string;
}

export const toProfile = (row: UserRow): Profile => ({
  id: row.id,
  email: row.email,
  name: row.name,
  mfa_enabled: row.mfaEnabled,
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
  patch: Partial<Pick<UserRow, 'name' | 'passwordHash' | 'passwordSetAt' | 'mfaEnabled' | 'email' | 'emailVerified'>>,
): Promise<UserRow | undefined> {
  return database(db)
    .update(users)
    .set({ ...patch, updatedAt: Date.now() })
    .where(eq(users.id, id))
    .returning()
    .get();
}

/** Deletes the user; every table that references it cascades. */
export async function deleteUser(db: D1Database, id: string): Promise<void> {
  await database(db).delete(users).where(eq(users.id, id));
}
