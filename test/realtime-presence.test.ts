import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, signup } from './helpers';
import { connect, eventually, registerTestDevice, type TestDevice } from './realtime-helpers';

type User = Awaited<ReturnType<typeof signup>>;

/** Makes the device's ready sockets look as if they became ready `ms` ago. */
const readySince = (device: TestDevice, ms: number) =>
  runInDurableObject(env.DEVICE.getByName(device.id), (_instance, state) => {
    for (const ws of state.getWebSockets()) {
      const attachment = ws.deserializeAttachment() as { phase: string };
      if (attachment.phase === 'ready') ws.serializeAttachment({ ...attachment, since: Date.now() - ms });
    }
  });

describe('presence from pings', () => {
  let user: User;
  beforeAll(async () => {
    user = await signup();
  });

  const online = async (device: TestDevice) => {
    const { devices } = (await (await call('/v1/devices', { token: user.access_token })).json()) as {
      devices: { id: string; online: boolean }[];
    };
    return devices.find((d) => d.id === device.id)?.online;
  };

  it('closes a ready socket that has not pinged for 75 s and reports the device offline', async () => {
    const device = await registerTestDevice(user.access_token);
    const { frames } = await connect(device);
    expect(await online(device)).toBe(true);
    await readySince(device, 80_000);
    expect(await runDurableObjectAlarm(env.DEVICE.getByName(device.id))).toBe(true);
    expect(await frames.closeCode()).toEqual({ code: 4000, reason: 'ping timeout' });
    await eventually(async () => (await online(device)) === false);
  });

  it('keeps a socket whose last ping is recent (answered by the runtime, without waking the actor)', async () => {
    const device = await registerTestDevice(user.access_token);
    const { frames } = await connect(device);
    await readySince(device, 80_000);
    expect(await frames.ask('ping')).toBe('pong');
    expect(await runDurableObjectAlarm(env.DEVICE.getByName(device.id))).toBe(true);
    expect(await frames.ask({ type: 'replay', after: 0, limit: 1 })).toMatchObject({ type: 'replay' });
    expect(await online(device)).toBe(true);
  });
});
