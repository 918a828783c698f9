import { describe, expect, it } from 'vitest';
import { signup } from './helpers';
import { Frames, registerTestDevice } from './realtime-helpers';

describe('handshake deadline, in real time', () => {
  it('closes a socket that never says hello with 1008 within 10 s', async () => {
    const user = await signup();
    const device = await registerTestDevice(user.access_token);
    const started = Date.now();
    const frames = await Frames.open(device.id);
    const closed = await frames.closeCode(15_000);
    const elapsed = Date.now() - started;
    expect(closed).toEqual({ code: 1008, reason: 'handshake timeout' });
    expect(elapsed).toBeLessThanOrEqual(10_500);
    expect(elapsed).toBeGreaterThanOrEqual(9_000);
  }, 20_000);
});
