import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../core/encoding';
import { freshIp, login, PASSWORD, signup, uniqueEmail } from './helpers';

interface Seen {
  status: number;
  body: unknown;
  headers: Record<string, string | null>;
}

/** What a client can compare between two answers: status, body (but its request id), headers. */
async function seen(response: Response): Promise<Seen> {
  const body = (await response.json()) as { error: { request_id?: string } };
  delete body.error.request_id;
  const headers = Object.fromEntries(
    ['retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'content-type'].map((n) => [
      n,
      n === 'retry-after' && response.headers.has(n) ? 'present' : response.headers.get(n),
    ]),
  );
  return { status: response.status, body, headers };
}

/** Six wrong passwords for `email`, each from a new address, as a distributed guesser sends them. */
async function sixWrong(email: string): Promise<Seen[]> {
  const answers: Seen[] = [];
  for (let i = 0; i < 6; i++) answers.push(await seen(await login(email, 'not the password at all', freshIp())));
  return answers;
}

describe('account enumeration through the lockout', () => {
  it('answers 6 wrong passwords for an unknown email exactly as for a known one', async () => {
    const { email } = await signup();
    const known = await sixWrong(email);
    const unknown = await sixWrong(uniqueEmail('nobody'));
    expect(known.map((a) => a.status)).toEqual([401, 401, 401, 401, 401, 423]);
    expect(unknown).toEqual(known);
  });

  it('gives an account without a password the same lock as an unknown email', async () => {
    const user = await signup();
    await env.DB.prepare('UPDATE users SET password_hash = NULL WHERE id = ?').bind(user.user.id).run();
    expect((await sixWrong(user.email)).map((a) => a.status)).toEqual([401, 401, 401, 401, 401, 423]);
  });

  it('counts an unknown email however its letters are cased, and says for how long', async () => {
    const email = uniqueEmail('ghost');
    for (let i = 0; i < 5; i++) await login(i % 2 ? email.toUpperCase() : email, 'wrong password!', freshIp());
    const lockedOut = await login(email.toUpperCase(), PASSWORD, freshIp());
    expect(lockedOut.status).toBe(423);
    expect(Number(lockedOut.headers.get('retry-after'))).toBeGreaterThan(29 * 60);
  });

  it('keeps an unknown email in an actor named by its hash, never by the address itself', async () => {
    const email = uniqueEmail('hashed');
    await login(email, 'wrong password!', freshIp());
    const actor = env.LIMITER.getByName(`email:${await sha256(email.toLowerCase())}`);
    const failures = await runInDurableObject(actor, (_instance, state) => {
      const rows = state.storage.sql.exec<{ failures: number }>('SELECT failures FROM login_guard').toArray();
      return rows[0]?.failures;
    });
    expect(failures).toBe(1);
  });

  it('lets the lock of an unknown email end after its window', async () => {
    const email = uniqueEmail('later');
    for (let i = 0; i < 5; i++) await login(email, 'wrong password!', freshIp());
    expect((await login(email, 'wrong password!', freshIp())).status).toBe(423);
    const actor = env.LIMITER.getByName(`email:${await sha256(email.toLowerCase())}`);
    await runInDurableObject(actor, (_instance, state) => {
      state.storage.sql.exec('UPDATE login_guard SET locked_until = ?', Date.now() - 1);
    });
    expect((await login(email, 'wrong password!', freshIp())).status).toBe(401);
  });

  it('admits no more than 5 wrong passwords for an unknown email even when they arrive at once', async () => {
    const email = uniqueEmail('burst');
    const statuses = await Promise.all(
      Array.from({ length: 10 }, () => login(email, 'wrong password!', freshIp()).then((r) => r.status)),
    );
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 423)).toHaveLength(5);
  });

  it('forgets an unknown email a day after its last failure', async () => {
    const email = uniqueEmail('forgotten');
    await login(email, 'wrong password!', freshIp());
    const actor = env.LIMITER.getByName(`email:${await sha256(email.toLowerCase())}`);
    const alarm = await runInDurableObject(actor, (_instance, state) => state.storage.getAlarm());
    expect(alarm! - Date.now()).toBeGreaterThan(23 * 60 * 60 * 1000);
    expect(await runDurableObjectAlarm(actor)).toBe(true);
    const rows = await runInDurableObject(actor, (_instance, state) =>
      state.storage.sql.exec('SELECT * FROM login_guard').toArray(),
    );
    expect(rows).toEqual([]);
  });
});
