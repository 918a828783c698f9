/** TOTP enrolment and backup codes in D1. Single use is enforced by conditional updates. */
import { and, eq, isNull, lt, or } from 'drizzle-orm';
import { randomId, sha256 } from '../encoding';
import { type Conflict, err, ok, type Result } from '../result';
import { normalizeBackupCode } from '../totp';
import { database } from './client';
import { mfaBackupCodes, mfaTotp, users } from './schema';

export type TotpRow = typeof mfaTotp.$inferSelect;

export const findTotp = (db: D1Database, userId: string) =>
  database(db).select().from(mfaTotp).where(eq(mfaTotp.userId, userId)).get();

/**
 * Starts (or restarts) an enrolment with a new sealed secret; MFA stays off until confirmed.
 * False when a confirmed secret exists: that one is only replaced by turning MFA off first.
 */
export async function savePendingTotp(
  db: D1Database,
  userId: string,
  secretEnc: string,
): Promise<Result<null, Conflict>> {
  const result = await database(db)
    .insert(mfaTotp)
    .values({ userId, secretEnc, createdAt: Date.now() })
    .onConflictDoUpdate({
      target: mfaTotp.userId,
      set: { secretEnc, confirmedAt: null, lastUsedStep: null, createdAt: Date.now() },
      setWhere: isNull(mfaTotp.confirmedAt),
    });
  return result.meta.changes === 1 ? ok(null) : err({ type: 'conflict' });
}

/**
 * Records `step` as used: true only for the first caller to claim a step later than the last
 * one used, so two requests racing with one code cannot both pass.
 */
export async function claimTotpStep(db: D1Database, userId: string, step: number): Promise<boolean> {
  const result = await database(db)
    .update(mfaTotp)
    .set({ lastUsedStep: step })
    .where(and(eq(mfaTotp.userId, userId), or(isNull(mfaTotp.lastUsedStep), lt(mfaTotp.lastUsedStep, step))));
  return result.meta.changes === 1;
}

async function hashCode(userId: string, code: string): Promise<string> {
  return sha256(`${userId}:${normalizeBackupCode(code)}`);
}

/** Replaces every backup code of the user with `codes` (stored hashed). */
export async function replaceBackupCodes(db: D1Database, userId: string, codes: string[]): Promise<void> {
  const d = database(db);
  const now = Date.now();
  const rows = await Promise.all(
    codes.map(async (code) => ({ id: randomId(), userId, codeHash: await hashCode(userId, code), createdAt: now })),
  );
  await d.batch([
    d.delete(mfaBackupCodes).where(eq(mfaBackupCodes.userId, userId)),
    d.insert(mfaBackupCodes).values(rows),
  ]);
}

/** Spends a backup code; false when it is unknown or already used. */
export async function spendBackupCode(db: D1Database, userId: string, code: string): Promise<boolean> {
  const result = await database(db)
    .update(mfaBackupCodes)
    .set({ usedAt: Date.now() })
    .where(
      and(
        eq(mfaBackupCodes.userId, userId),
        eq(mfaBackupCodes.codeHash, await hashCode(userId, code)),
        isNull(mfaBackupCodes.usedAt),
      ),
    );
  return result.meta.changes === 1;
}

/** Turns MFA on: confirms the secret and the user's flag in one batch. */
export async function enableTotp(db: D1Database, userId: string): Promise<void> {
  const d = database(db);
  const now = Date.now();
  await d.batch([
    d.update(mfaTotp).set({ confirmedAt: now }).where(eq(mfaTotp.userId, userId)),
    d.update(users).set({ mfaEnabled: true, updatedAt: now }).where(eq(users.id, userId)),
  ]);
}

export async function disableTotp(db: D1Database, userId: string): Promise<void> {
  const d = database(db);
  await d.batch([
    d.delete(mfaTotp).where(eq(mfaTotp.userId, userId)),
    d.delete(mfaBackupCodes).where(eq(mfaBackupCodes.userId, userId)),
    d.update(users).set({ mfaEnabled: false, updatedAt: Date.now() }).where(eq(users.id, userId)),
  ]);
}

/** Turns MFA off when it was turned on after `since` (ms); answers whether it was. */
export async function disableTotpConfirmedSince(db: D1Database, userId: string, since: number): Promise<boolean> {
  const row = await database(db).select().from(mfaTotp).where(eq(mfaTotp.userId, userId)).get();
  if (row?.confirmedAt == null || row.confirmedAt <= since) return false;
  await disableTotp(db, userId);
  return true;
}
