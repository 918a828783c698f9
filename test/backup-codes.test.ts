import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { replaceBackupCodes } from '../core/db/mfa';
import { call, expectError, freshIp, login, signup } from './helpers';
import { enrolTotp } from './mfa-helpers';

type User = Awaited<ReturnType<typeof signup>>;

const BACKUP_CODE = /^[a-z2-7]{5}(-[a-z2-7]{5}){4}$/;

const enrol = async (user: User) => (await enrolTotp(user)).backupCodes;

async function signIn(user: User, code: string): Promise<Response> {
  const challenge = (await (await login(user.email, user.password, freshIp())).json()) as { mfa_token: string };
  return call('/v1/auth/mfa', { method: 'POST', body: { mfa_token: challenge.mfa_token, code } });
}

describe('backup codes', () => {
  let user: User;
  let codes: string[];
  beforeAll(async () => {
    user = await signup();
    codes = await enrol(user);
  });

  it('are 10 distinct codes of 125 random bits: 25 base32 characters in groups of 5', () => {
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(BACKUP_CODE);
  });

  it('are accepted in upper case, with spaces instead of dashes, or without separators', async () => {
    expect((await signIn(user, codes[0]!.toUpperCase().replaceAll('-', ' '))).status).toBe(200);
    expect((await signIn(user, codes[1]!.replaceAll('-', ''))).status).toBe(200);
    expect((await signIn(user, ` ${codes[2]!.replaceAll('-', ' - ')} `)).status).toBe(200);
  });

  it('work once only, however they are typed', async () => {
    expect((await signIn(user, codes[3]!)).status).toBe(200);
    await expectError(await signIn(user, codes[3]!.toUpperCase()), 401, 'unauthorized');
  });

  it('refuse a code of the right shape that was never issued, and malformed ones with 400', async () => {
    await expectError(await signIn(user, 'aaaaa-bbbbb-ccccc-ddddd-eeeee'), 401, 'unauthorized');
    for (const code of ['aaaaa-bbbbb-ccccc-ddddd', 'aaaaa-bbbbb-ccccc-ddddd-eeee1', 'x'.repeat(80)]) {
      await expectError(await signIn(user, code), 400, 'invalid_request');
    }
  });

  it('keeps a 10-character code issued before the change usable, once', async () => {
    const legacy = await signup();
    await enrol(legacy);
    await replaceBackupCodes(env.DB, legacy.user.id, ['abcde-fgh23']);
    expect((await signIn(legacy, 'ABCDE FGH23')).status).toBe(200);
    await expectError(await signIn(legacy, 'abcde-fgh23'), 401, 'unauthorized');
  });
});
