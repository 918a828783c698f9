/** TOTP enrolment, backup codes, and the second step of a sign-in (DESIGN.md §3, §4). */
import { seal } from '../../core/crypto-box';
import { disableTotp, enableTotp, findTotp, replaceBackupCodes, savePendingTotp } from '../../core/db/mfa';
import { findUserById, toProfile } from '../../core/db/users';
import { CookieMode, TokensOut } from '../../core/schemas/auth';
import {
  BackupCodesOut,
  ConfirmTotp,
  DisableTotp,
  EnrolmentOut,
  MfaLogin,
  RegenerateBackupCodes,
} from '../../core/schemas/mfa';
import { ReauthRequiredOut, StepUpOnly, withStepUp } from '../../core/schemas/step-up';
import { newBackupCodes, newTotpSecret, otpauthUri, qrSvg, totpContext } from '../../core/totp';
import { userIdOf } from '../../core/user-token';
import { clientInfo, knownUserActor } from '../auth/actor';
import { audit } from '../auth/audit';
import { tokensResponse } from '../auth/issue';
import { factorPolicy, locked } from '../auth/lockout';
import { requirePassword } from '../auth/password';
import { currentProfile, refreshProfile } from '../auth/profile';
import { checkSecondFactor, requireSecondFactor, WRONG_CODE } from '../auth/second-factor';
import { requireStepUp } from '../auth/step-up';
import type { RequestContext } from '../context';
import { ApiError, orFail } from '../errors';
import { noContent, route } from '../route';

async function issueBackupCodes(rc: RequestContext, userId: string): Promise<string[]> {
  const codes = newBackupCodes();
  await replaceBackupCodes(rc.env.DB, userId, codes);
  return codes;
}

const mfaAlreadyOn = () => new ApiError('conflict', 'MFA is already on; turn it off first.');
const badMfaToken = () => new ApiError('unauthorized', 'The mfa_token is invalid or expired.');

export const mfaRoutes = [
  route({
    method: 'POST',
    path: '/v1/auth/mfa',
    summary: 'Finish a sign-in with a TOTP or backup code',
    tag: 'Auth',
    access: 'public',
    ipLimit: 'auth',
    body: MfaLogin,
    query: CookieMode,
    responses: {
      200: { description: 'A new session with `amr: ["pwd","otp"]`.', schema: TokensOut },
      401: { description: 'Wrong code, or an mfa_token that is expired, spent or past 5 attempts.' },
      423: { description: '10 wrong codes in a row, across mfa_tokens: second-factor checks wait 30 minutes.' },
    },
    async handle({ rc, body, query }) {
      const userId = userIdOf(body.mfa_token);
      if (!userId) throw badMfaToken();
      const actor = await knownUserActor(rc, userId);
      const attempt = actor ? await actor.attemptMfa(body.mfa_token, factorPolicy(rc)) : null;
      if (attempt && !attempt.ok && attempt.error.type === 'locked') throw locked(attempt.error.retryAfterS);
      if (!actor || !attempt?.ok) throw badMfaToken();
      const method = await checkSecondFactor(rc, userId, body.code);
      if (!method) {
        await audit(rc, userId, 'mfa_failed');
        throw new ApiError('unauthorized', WRONG_CODE);
      }
      const user = await findUserById(rc.env.DB, userId);
      if (!user) throw badMfaToken();
      const opened = await actor.completeMfa(body.mfa_token, toProfile(user), clientInfo(rc));
      if (!opened.ok) {
        if (opened.error.type === 'locked') throw locked(opened.error.retryAfterS);
        throw badMfaToken();
      }
      if (method === 'backup') await audit(rc, userId, 'backup_code_used');
      await audit(rc, userId, 'mfa_succeeded', { method });
      return tokensResponse(rc, toProfile(user), opened.value, query.mode);
    },
  }),
  route({
    method: 'POST',
    path: '/v1/me/mfa/totp',
    summary: 'Start TOTP enrolment (step-up)',
    tag: 'MFA',
    access: 'user',
    scope: 'account',
    body: StepUpOnly,
    bodyOptional: true,
    responses: {
      200: {
        description: 'The secret, its otpauth:// URI and a QR code (SVG). MFA is on only after confirmation.',
        schema: EnrolmentOut,
      },
      401: {
        description: '`reauth_required`: no sign-in in the last 10 minutes and no `reauth` proof.',
        schema: ReauthRequiredOut,
      },
      409: { description: 'MFA is already on.' },
    },
    async handle({ rc, body, reply }) {
      const userId = rc.principal.userId;
      await requireStepUp(rc, body.reauth);
      const profile = await currentProfile(rc);
      if (profile.mfa_enabled) throw mfaAlreadyOn();
      const secret = newTotpSecret();
      const sealed = await seal(rc.config.dataKeys, secret, totpContext(userId));
      // The cached flag can lag behind D1: the database refuses to replace a confirmed secret.
      orFail(await savePendingTotp(rc.env.DB, userId, sealed), { conflict: mfaAlreadyOn });
      await audit(rc, userId, 'mfa_enrolment_started');
      const uri = otpauthUri(secret, rc.config.appName, profile.email);
      return reply(200, { secret, otpauth_uri: uri, qr_svg: qrSvg(uri) });
    },
  }),
  route({
    method: 'POST',
    path: '/v1/me/mfa/totp/confirm',
    summary: 'Confirm TOTP enrolment with a code; answers 10 backup codes (step-up)',
    tag: 'MFA',
    access: 'user',
    scope: 'account',
    body: withStepUp(ConfirmTotp),
    responses: {
      200: { description: 'MFA is on. The backup codes are shown once.', schema: BackupCodesOut },
      400: { description: 'The code is wrong.' },
      401: {
        description: '`reauth_required`: no sign-in in the last 10 minutes and no `reauth` proof.',
        schema: ReauthRequiredOut,
      },
      409: { description: 'No enrolment is pending, or MFA is already on.' },
    },
    async handle({ rc, body, reply }) {
      const userId = rc.principal.userId;
      await requireStepUp(rc, body.reauth);
      const pending = await findTotp(rc.env.DB, userId);
      if (!pending || pending.confirmedAt !== null) throw new ApiError('conflict', 'No TOTP enrolment is pending.');
      if (!(await checkSecondFactor(rc, userId, body.code, { allowBackup: false, pending: true }))) {
        throw new ApiError('invalid_request', WRONG_CODE, { details: [{ path: 'code', message: 'is wrong' }] });
      }
      await enableTotp(rc.env.DB, userId);
      const codes = await issueBackupCodes(rc, userId);
      await refreshProfile(rc, userId);
      await audit(rc, userId, 'mfa_enabled');
      return reply(200, { backup_codes: codes });
    },
  }),
  route({
    method: 'DELETE',
    path: '/v1/me/mfa/totp',
    summary: 'Turn MFA off (password and a code)',
    tag: 'MFA',
    access: 'user',
    scope: 'account',
    body: withStepUp(DisableTotp),
    responses: {
      204: { description: 'MFA is off; the secret and backup codes are deleted.' },
      401: {
        description: '`reauth_required`: an account without a password needs a recent sign-in or `reauth`.',
        schema: ReauthRequiredOut,
      },
      403: { description: 'Wrong password or code.' },
      409: { description: 'MFA is not on.' },
    },
    async handle({ rc, body }) {
      const userId = rc.principal.userId;
      if (!(await currentProfile(rc)).mfa_enabled) throw new ApiError('conflict', 'MFA is not on.');
      await requirePassword(rc, body.password, 'password', body.reauth);
      await requireSecondFactor(rc, userId, body.code, { allowBackup: true });
      await disableTotp(rc.env.DB, userId);
      await refreshProfile(rc, userId);
      await audit(rc, userId, 'mfa_disabled');
      return noContent();
    },
  }),
  route({
    method: 'POST',
    path: '/v1/me/mfa/backup-codes',
    summary: 'Replace the backup codes (a TOTP code required); the old ones stop working',
    tag: 'MFA',
    access: 'user',
    scope: 'account',
    body: RegenerateBackupCodes,
    responses: {
      200: { description: '10 new codes, shown once.', schema: BackupCodesOut },
      403: { description: 'The code is wrong.' },
      409: { description: 'MFA is not on.' },
    },
    async handle({ rc, body, reply }) {
      const userId = rc.principal.userId;
      if (!(await currentProfile(rc)).mfa_enabled) throw new ApiError('conflict', 'MFA is not on.');
      await requireSecondFactor(rc, userId, body.code, { allowBackup: false });
      const codes = await issueBackupCodes(rc, userId);
      await audit(rc, userId, 'backup_codes_regenerated');
      return reply(200, { backup_codes: codes });
    },
  }),
];
