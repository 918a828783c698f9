/** Test helpers for step-up: accounts whose last real sign-in was a while ago, with fresh tokens. */
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { vi } from 'vitest';
import { call, signup, type Tokens } from './helpers';

/** Runs `work` with the clock (Worker and actors alike) set `minutes` into the past. */
export async function minutesAgo<T>(minutes: number, work: () => Promise<T>): Promise<T> {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Date.now() - minutes * 60_000);
  try {
    return await work();
  } finally {
    vi.useRealTimers();
  }
}

/** Trades a refresh token now: a fresh access token for the same session (and sign-in). */
export async function refreshed(tokens: Pick<Tokens, 'refresh_token'>): Promise<Tokens> {
  const response = await call('/v1/auth/refresh', { method: 'POST', body: { refresh_token: tokens.refresh_token } });
  if (response.status !== 200) throw new Error(`refresh failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as Tokens;
}

/**
 * What the holder of a stolen refresh token has: an account signed up `minutes` ago, and an
 * access token refreshed just now (so its `iat` is fresh, but not its sign-in).
 */
export async function staleSignIn(minutes = 11, options: Parameters<typeof signup>[0] = {}) {
  const user = await minutesAgo(minutes, () => signup(options));
  return { ...user, ...(await refreshed(user)) };
}

/** Moves every session's last sign-in of this user `minutes` back, as time passing would. */
export async function ageSignIn(userId: string, minutes: number): Promise<void> {
  await runInDurableObject(env.USER.getByName(userId), (_instance, state) => {
    state.storage.sql.exec('UPDATE sessions SET auth_time = auth_time - ?', minutes * 60_000);
  });
}
