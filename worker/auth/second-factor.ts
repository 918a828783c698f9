/** Checking a second factor: a TOTP code (each time step accepted once) or a single-use backup code. */
import { claimTotpStep, findTotp, spendBackupCode } from '../../core/db/mfa';
import { openSealed } from '../../core/db/sealed-values';
import { verifyTotp } from '../../core/totp';
import type { RequestContext } from '../context';
import { ApiError } from '../errors';
import { userActor } from './actor';
import { audit } from './audit';
import { factorPolicy, locked } from './lockout';

/** The method that matched, or null. A matching code is spent: it will not match again. */
export async function checkSecondFactor(
  rc: RequestContext,
  userId: string,
  code: string,
  options: { allowBackup: boolean; pending?: boolean } = { allowBackup: true },
): Promise<'totp' | 'backup' | null> {
  if (/^\d{6}$/.test(code)) {
    const row = await findTotp(rc.env.DB, userId);
    if (!row || (row.confirmedAt === null) !== (options.pending ?? false)) return null;
    const secret = await openSealed(rc.env.DB, rc.config.dataKeys, 'totp_secret', userId, row.secretEnc);
    if (secret === null) return null;
    const step = verifyTotp(secret, code, row.lastUsedStep);
    if (step === null) return null;
    return (await claimTotpStep(rc.env.DB, userId, step)) ? 'totp' : null;
  }
  if (!options.allowBackup) return null;
  return (await spendBackupCode(rc.env.DB, userId, code)) ? 'backup' : null;
}

export const WRONG_CODE = 'The code is wrong or was already used.';

/** Like `checkSecondFactor`, for an operation of a signed-in user: a wrong code is audited and refused with 403. */
export async function requireSecondFactor(
  rc: RequestContext,
  userId: string,
  code: string,
  options: { allowBackup: boolean; field?: string },
): Promise<void> {
  const actor = userActor(rc, userId);
  const attempt = await actor.beginFactorCheck(factorPolicy(rc));
  if (attempt.locked) throw locked(attempt.retryAfterS);
  if (await checkSecondFactor(rc, userId, code, options)) {
    await actor.factorConfirmed();
    return;
  }
  await audit(rc, userId, 'mfa_failed');
  throw new ApiError('forbidden', WRONG_CODE, { details: [{ path: options.field ?? 'code', message: 'is wrong' }] });
}
