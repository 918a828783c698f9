import { describe, expect, it } from 'vitest';
import { call, expectError, freshIp } from './helpers';

describe('WebSocket upgrades', () => {
  it('are limited per address (connect bucket) before any device lookup', async () => {
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) {
      const response = await call('/v1/devices/no-such-device/ws', { ip, headers: { upgrade: 'websocket' } });
      statuses.push(response.status);
      if (i === 0) expect(response.headers.get('x-ratelimit-limit')).toBe('30');
      if (i < 30) response.webSocket?.accept();
      else await expectError(response, 429, 'rate_limited');
    }
    expect(statuses.slice(0, 30).every((s) => s === 101)).toBe(true);
    expect(statuses[30]).toBe(429);
  });
});
