/** MFA test helpers: a user with TOTP turned on, through the real enrolment routes. */
import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import { call, type Tokens } from './helpers';
import { nowSeconds, totpAt } from './totp-reference';

/** Lets the next code of any step be used again, so one test can spend several codes. */
export const forgetUsedStep = (userId: string) =>
  env.DB.prepare('UPDATE mfa_totp SET last_used_step = NULL WHERE user_id = ?').bind(userId).run();

/** Enrols and confirms TOTP; answers the secret and the backup codes, with the used step forgotten. */
export async function enrolTotp(user: Pick<Tokens, 'access_token' | 'user'>) {
  const start = await call('/v1/me/mfa/totp', { method: 'POST', token: user.access_token });
  expect(start.status).toBe(200);
  const { secret } = (await start.json()) as { secret: string };
  const confirm = await call('/v1/me/mfa/totp/confirm', {
    method: 'POST',
    token: user.access_token,
    body: { code: await totpAt(secret, nowSeconds()) },
  });
  expect(confirm.status).toBe(200);
  const { backup_codes } = (await confirm.json()) as { backup_codes: string[] };
  await forgetUsedStep(user.user.id);
  return { secret, backupCodes: backup_codes };
}
