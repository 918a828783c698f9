import { listDurableObjectIds } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateDeviceKey } from '../client/index.ts';
import { call, expectError, signup } from './helpers';
import { connect, eventually, registerTestDevice } from './realtime-helpers';

type User = Awaited<ReturnType<typeof signup>>;
interface DeviceView {
  id: string;
  name: string;
  platform: string | null;
  created_at: string;
  last_seen_at: string | null;
  online: boolean;
  revoked_at: string | null;
}

const register = (token: string, body: unknown) => call('/v1/devices', { method: 'POST', token, body });

async function list(user: User): Promise<DeviceView[]> {
  const response = await call('/v1/devices', { token: user.access_token });
  expect(response.status).toBe(200);
  return ((await response.json()) as { devices: DeviceView[] }).devices;
}

const b64 = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

describe('device registration', () => {
  let user: User;
  beforeAll(async () => {
    user = await signup();
  });

  it('registers an Ed25519 key and answers the device', async () => {
    const { publicJwk } = await generateDeviceKey('Ed25519');
    const response = await register(user.access_token, { name: 'Laptop', public_key: publicJwk, platform: 'linux' });
    expect(response.status).toBe(201);
    const { device } = (await response.json()) as { device: DeviceView };
    expect(device).toEqual({
      id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      name: 'Laptop',
      platform: 'linux',
      created_at: expect.any(String),
      last_seen_at: null,
      online: false,
      revoked_at: null,
    });
  });

  it('registers an EC P-256 key, keeping only its public members', async () => {
    const { publicJwk } = await generateDeviceKey('P-256');
    const response = await register(user.access_token, {
      name: 'Phone',
      public_key: { ...publicJwk, kid: 'phone-1', alg: 'ES256', use: 'sig' },
    });
    expect(response.status).toBe(201);
    const { device } = (await response.json()) as { device: DeviceView };
    const row = await env.DB.prepare('SELECT public_key FROM devices WHERE id = ?')
      .bind(device.id)
      .first<{ public_key: string }>();
    expect(JSON.parse(row!.public_key)).toEqual(publicJwk);
  });

  it('refuses a private key', async () => {
    const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const privateJwk = (await crypto.subtle.exportKey('jwk', pair.privateKey)) as JsonWebKey;
    const body = await expectError(
      await register(user.access_token, { name: 'Leaky', public_key: privateJwk }),
      400,
      'invalid_request',
    );
    expect(body.error.details).toContainEqual({ path: 'public_key', message: expect.stringContaining('private key') });
  });

  it('refuses other curves and key types', async () => {
    const p384 = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, [
      'sign',
    ])) as CryptoKeyPair;
    const x25519 = { kty: 'OKP', crv: 'X25519', x: b64(crypto.getRandomValues(new Uint8Array(32))) };
    const rsa = { kty: 'RSA', n: 'AQAB', e: 'AQAB' };
    for (const public_key of [await crypto.subtle.exportKey('jwk', p384.publicKey), x25519, rsa, 'not a key', null]) {
      const body = await expectError(
        await register(user.access_token, { name: 'Odd', public_key }),
        400,
        'invalid_request',
      );
      expect(body.error.details[0]?.path).toMatch(/^public_key/);
    }
  });

  it('refuses a P-256 point that is not on the curve (the key is imported to prove it)', async () => {
    const public_key = {
      kty: 'EC',
      crv: 'P-256',
      x: b64(crypto.getRandomValues(new Uint8Array(32))),
      y: b64(crypto.getRandomValues(new Uint8Array(32))),
    };
    const body = await expectError(
      await register(user.access_token, { name: 'Off curve', public_key }),
      400,
      'invalid_request',
    );
    expect(body.error.details).toEqual([{ path: 'public_key', message: 'is not a valid public key' }]);
  });

  it('refuses missing fields, extra fields and wrong types', async () => {
    const { publicJwk } = await generateDeviceKey();
    const cases: [unknown, string][] = [
      [{ public_key: publicJwk }, 'name'],
      [{ name: 'x' }, 'public_key'],
      [{ name: 'x', public_key: publicJwk, admin: true }, 'admin'],
      [{ name: 42, public_key: publicJwk }, 'name'],
      [{ name: '   ', public_key: publicJwk }, 'name'],
      [{ name: 'x'.repeat(65), public_key: publicJwk }, 'name'],
      [{ name: 'x', public_key: publicJwk, platform: 7 }, 'platform'],
      [[], 'name'],
    ];
    for (const [body, path] of cases) {
      const answer = await expectError(await register(user.access_token, body), 400, 'invalid_request');
      expect(answer.error.details.map((d) => d.path)).toContain(path);
    }
  });

  it('refuses malformed JSON and a body that is not JSON', async () => {
    await expectError(await register(user.access_token, '{"name": "x",'), 400, 'invalid_request');
    const text = await call('/v1/devices', {
      method: 'POST',
      token: user.access_token,
      body: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    await expectError(text, 400, 'invalid_request');
  });

  it('refuses a second live device of the same name, whatever its case', async () => {
    const first = await generateDeviceKey();
    const second = await generateDeviceKey();
    expect((await register(user.access_token, { name: 'Tablet', public_key: first.publicJwk })).status).toBe(201);
    await expectError(
      await register(user.access_token, { name: 'tABLET', public_key: second.publicJwk }),
      409,
      'conflict',
    );
  });

  it('lets another user use the same name', async () => {
    const other = await signup();
    const { publicJwk } = await generateDeviceKey();
    expect((await register(other.access_token, { name: 'Laptop', public_key: publicJwk })).status).toBe(201);
  });

  it('needs a valid access token', async () => {
    const { publicJwk } = await generateDeviceKey();
    await expectError(
      await call('/v1/devices', { method: 'POST', body: { name: 'x', public_key: publicJwk } }),
      401,
      'unauthorized',
    );
    await expectError(await register('not-a-token', { name: 'x', public_key: publicJwk }), 401, 'unauthorized');
    await expectError(await call('/v1/devices', { token: `${user.access_token}x` }), 401, 'unauthorized');
  });
});

describe('device list, rename and revocation', () => {
  let user: User;
  let other: User;
  beforeAll(async () => {
    [user, other] = await Promise.all([signup(), signup()]);
  });

  it('lists the devices oldest first, with revoked ones', async () => {
    const a = await registerTestDevice(user.access_token, 'Ed25519', 'List A');
    const b = await registerTestDevice(user.access_token, 'P-256', 'List B');
    expect((await call(`/v1/devices/${b.id}`, { method: 'DELETE', token: user.access_token })).status).toBe(204);
    const devices = await list(user);
    const ids = devices.map((d) => d.id);
    expect(ids.indexOf(a.id)).toBeLessThan(ids.indexOf(b.id));
    expect(devices.find((d) => d.id === a.id)?.revoked_at).toBeNull();
    expect(devices.find((d) => d.id === b.id)?.revoked_at).toEqual(expect.any(String));
    expect(await list(other)).toEqual([]);
  });

  it('reports online and last_seen_at as sockets connect and close', async () => {
    const device = await registerTestDevice(user.access_token, 'Ed25519', 'Presence');
    const { frames } = await connect(device);
    const connected = (await list(user)).find((d) => d.id === device.id)!;
    expect(connected.online).toBe(true);
    expect(connected.last_seen_at).toEqual(expect.any(String));
    frames.ws.close(1000, 'bye');
    await eventually(async () => (await list(user)).find((d) => d.id === device.id)?.online === false);
    const closed = (await list(user)).find((d) => d.id === device.id)!;
    expect(Date.parse(closed.last_seen_at!)).toBeGreaterThanOrEqual(Date.parse(connected.last_seen_at!));
  });

  it('renames a device, including to another case of its own name', async () => {
    const device = await registerTestDevice(user.access_token, 'Ed25519', 'Old name');
    const renamed = await call(`/v1/devices/${device.id}`, {
      method: 'PATCH',
      token: user.access_token,
      body: { name: 'New name' },
    });
    expect(renamed.status).toBe(200);
    expect(((await renamed.json()) as { device: DeviceView }).device).toMatchObject({
      id: device.id,
      name: 'New name',
    });
    const recased = await call(`/v1/devices/${device.id}`, {
      method: 'PATCH',
      token: user.access_token,
      body: { name: 'NEW NAME' },
    });
    expect(recased.status).toBe(200);
  });

  it('refuses a rename to the name of another live device', async () => {
    await registerTestDevice(user.access_token, 'Ed25519', 'Taken');
    const device = await registerTestDevice(user.access_token, 'Ed25519', 'Free');
    const response = await call(`/v1/devices/${device.id}`, {
      method: 'PATCH',
      token: user.access_token,
      body: { name: 'taken' },
    });
    await expectError(response, 409, 'conflict');
  });

  it('refuses bad rename bodies', async () => {
    const device = await registerTestDevice(user.access_token, 'Ed25519', 'Body checks');
    for (const body of [{}, { name: '' }, { name: 1 }, { name: 'ok', extra: 1 }]) {
      await expectError(
        await call(`/v1/devices/${device.id}`, { method: 'PATCH', token: user.access_token, body }),
        400,
        'invalid_request',
      );
    }
  });

  it('frees the name of a revoked device and refuses to rename it', async () => {
    const device = await registerTestDevice(user.access_token, 'Ed25519', 'Reusable');
    expect((await call(`/v1/devices/${device.id}`, { method: 'DELETE', token: user.access_token })).status).toBe(204);
    await registerTestDevice(user.access_token, 'P-256', 'reusable');
    const rename = await call(`/v1/devices/${device.id}`, {
      method: 'PATCH',
      token: user.access_token,
      body: { name: 'Back' },
    });
    await expectError(rename, 409, 'conflict');
    // Revoking again is harmless.
    expect((await call(`/v1/devices/${device.id}`, { method: 'DELETE', token: user.access_token })).status).toBe(204);
  });

  it('answers 404 for another user’s device and for unknown ids', async () => {
    const theirs = await registerTestDevice(other.access_token, 'Ed25519', 'Not yours');
    for (const id of [theirs.id, 'no-such-device']) {
      await expectError(
        await call(`/v1/devices/${id}`, { method: 'DELETE', token: user.access_token }),
        404,
        'not_found',
      );
      await expectError(
        await call(`/v1/devices/${id}`, { method: 'PATCH', token: user.access_token, body: { name: 'Mine now' } }),
        404,
        'not_found',
      );
    }
    expect((await list(other)).find((d) => d.id === theirs.id)?.revoked_at).toBeNull();
    await expectError(
      await call('/v1/devices/bad%20id!', { method: 'DELETE', token: user.access_token }),
      400,
      'invalid_request',
    );
  });

  it('records registration and revocation in the audit log', async () => {
    const device = await registerTestDevice(user.access_token, 'Ed25519', 'Audited');
    await call(`/v1/devices/${device.id}`, { method: 'DELETE', token: user.access_token });
    const audit = (await (await call('/v1/me/audit', { token: user.access_token })).json()) as {
      events: { type: string; details: { device_id?: string } | null }[];
    };
    const mine = audit.events.filter((e) => e.details?.device_id === device.id).map((e) => e.type);
    expect(mine).toEqual(['device_revoked', 'device_registered']);
  });

  it('lets a read-scoped API key list devices but not register one', async () => {
    const created = await call('/v1/me/api-keys', {
      method: 'POST',
      token: user.access_token,
      body: { name: 'ro', scopes: ['read'] },
    });
    const { key } = (await created.json()) as { key: string };
    expect((await call('/v1/devices', { token: key })).status).toBe(200);
    const { publicJwk } = await generateDeviceKey();
    await expectError(await register(key, { name: 'By key', public_key: publicJwk }), 403, 'forbidden');
  });
});

describe('socket upgrade route', () => {
  let user: User;
  beforeAll(async () => {
    user = await signup();
  });

  const upgrade = (id: string, headers: Record<string, string> = { upgrade: 'websocket' }) =>
    call(`/v1/devices/${id}/ws`, { headers });

  /** The close a client sees on an upgraded socket. */
  const closeOf = async (response: Response) => {
    expect(response.status).toBe(101);
    const ws = response.webSocket!;
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      ws.addEventListener('close', (event) => resolve({ code: event.code, reason: event.reason })),
    );
    ws.accept();
    return closed;
  };

  it('accepts a socket for an unknown id and closes it with 1008, without creating an actor', async () => {
    expect(await closeOf(await upgrade('never-registered-device'))).toEqual({
      code: 1008,
      reason: 'unknown or revoked device',
    });
    const created = await listDurableObjectIds(env.DEVICE);
    expect(created.some((id) => id.equals(env.DEVICE.idFromName('never-registered-device')))).toBe(false);
  });

  it('closes a revoked device’s socket with 1008, and one for a malformed id too', async () => {
    const device = await registerTestDevice(user.access_token);
    await call(`/v1/devices/${device.id}`, { method: 'DELETE', token: user.access_token });
    expect(await closeOf(await upgrade(device.id))).toEqual({ code: 1008, reason: 'unknown or revoked device' });
    expect(await closeOf(await upgrade('bad*id'))).toEqual({ code: 1008, reason: 'unknown or revoked device' });
  });

  it('answers 400 to a request that is not an upgrade', async () => {
    const device = await registerTestDevice(user.access_token);
    await expectError(await upgrade(device.id, {}), 400, 'invalid_request');
    await expectError(await upgrade('bad*id', {}), 400, 'invalid_request');
  });
});
