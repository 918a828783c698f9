import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, expectError, freshIp } from './helpers';

const list = (ip: string, token?: string) => call('/v1/admin/backups', { ip, token });
const WRONG = `${env.ADMIN_TOKEN}x`;

describe('operator endpoints: failures per address', () => {
  it('after 10 failed tokens from an address, refuse even the right token there with 429', async () => {
    const ip = freshIp();
    const failures: Response[] = [];
    for (let i = 0; i < 10; i++) failures.push(await list(ip, i % 2 ? WRONG : undefined));
    expect(failures.map((r) => r.status)).toEqual(Array(10).fill(401));
    expect(failures[0]!.headers.get('x-ratelimit-limit')).toBe('10');
    expect(failures[0]!.headers.get('x-ratelimit-remaining')).toBe('9');
    const refused = await list(ip, env.ADMIN_TOKEN);
    await expectError(refused, 429, 'rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(14 * 60);
    expect((await list(freshIp(), env.ADMIN_TOKEN)).status).toBe(200);
  });

  it('lets the address in again once the window has passed', async () => {
    const ip = freshIp();
    for (let i = 0; i < 10; i++) await list(ip, WRONG);
    await expectError(await list(ip, env.ADMIN_TOKEN), 429, 'rate_limited');
    await runInDurableObject(env.LIMITER.getByName(ip), (_instance, state) => {
      state.storage.sql.exec("UPDATE counters SET window_start = window_start - 901000 WHERE bucket = 'admin'");
    });
    expect((await list(ip, env.ADMIN_TOKEN)).status).toBe(200);
  });

  it('does not count the right token', async () => {
    const ip = freshIp();
    for (let i = 0; i < 12; i++) expect((await list(ip, env.ADMIN_TOKEN)).status).toBe(200);
    const wrong = await list(ip, WRONG);
    await expectError(wrong, 401, 'unauthorized');
    expect(wrong.headers.get('x-ratelimit-remaining')).toBe('9');
  });

  it('admits no more than 10 failed tokens even when they arrive at once', async () => {
    const ip = freshIp();
    const statuses = await Promise.all(Array.from({ length: 15 }, () => list(ip, WRONG).then((r) => r.status)));
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(5);
  });
});
