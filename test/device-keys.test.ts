import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateDeviceKey } from '../client/index.ts';
import { insertDevice } from '../core/db/devices';
import { importDeviceKey } from '../core/device-key';
import { base64url, fromBase64url, randomId } from '../core/encoding';
import type { DevicePublicKey } from '../core/schemas/devices';
import { call, expectError, signup } from './helpers';
import { Frames, nonce } from './realtime-helpers';

type User = Awaited<ReturnType<typeof signup>>;

const fromHex = (text: string) => Uint8Array.from(text.match(/../g) ?? [], (byte) => Number.parseInt(byte, 16));
const okp = (bytes: Uint8Array): DevicePublicKey => ({ kty: 'OKP', crv: 'Ed25519', x: base64url(bytes) });

/**
 * Every 32-byte encoding of an Ed25519 point of small order: the 8 canonical ones (identity,
 * order 2, two of order 4, four of order 8) and the non-canonical ones (x = 0 with the sign bit
 * set; y = p and y = p + 1). The list of libsodium's `ge25519_has_small_order`, with sign bits,
 * as in Chalkias, Garillot, Nikolaenko, "Taming the many EdDSAs" (2020), §3 and Table 6.
 */
const SMALL_ORDER = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
  '0100000000000000000000000000000000000000000000000000000000000080',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
];
const IDENTITY = fromHex(SMALL_ORDER[0]!);

/** An honest key plus the point of order 8: on the curve, but outside the prime-order subgroup. */
const MIXED_ORDER = '9ffc6a718bca93f5e76fb011cfb9c3c9c91d597f1dce335436fa094a7828084f';

const register = (user: User, public_key: unknown, name = `key ${randomId(6)}`) =>
  call('/v1/devices', { method: 'POST', token: user.access_token, body: { name, public_key } });

describe('degenerate Ed25519 device keys', () => {
  let user: User;
  beforeAll(async () => {
    user = await signup();
  });

  it.each(SMALL_ORDER)('refuses the small-order encoding %s at registration', async (hex) => {
    const body = await expectError(await register(user, okp(fromHex(hex))), 400, 'invalid_request');
    expect(body.error.details).toEqual([{ path: 'public_key', message: 'is not a valid public key' }]);
  });

  it('refuses a key with a small-order component', async () => {
    await expectError(await register(user, okp(fromHex(MIXED_ORDER))), 400, 'invalid_request');
  });

  it('still accepts an honestly generated key', async () => {
    const { publicJwk } = await generateDeviceKey('Ed25519');
    expect((await register(user, publicJwk)).status).toBe(201);
    expect(await importDeviceKey(publicJwk as DevicePublicKey)).not.toBeNull();
  });

  it('refuses a key stored before the check at the handshake: a constant signature does not pass', async () => {
    const deviceId = randomId();
    await insertDevice(env.DB, {
      id: deviceId,
      userId: user.user.id,
      name: `legacy ${deviceId}`,
      platform: null,
      publicKey: JSON.stringify(okp(IDENTITY)),
      createdAt: Date.now(),
      lastSeenAt: null,
      revokedAt: null,
    });
    const frames = await Frames.open(deviceId);
    const challenge = await frames.ask({ type: 'hello', device_id: deviceId, nonce: nonce(), v: 1 });
    expect(challenge.type).toBe('challenge');
    // R = the identity, S = 0: verifies for any message under the identity key, cofactored or not.
    const constant = new Uint8Array(64);
    constant.set(IDENTITY);
    frames.send({ type: 'auth', signature: base64url(constant) });
    expect(await frames.closeCode()).toEqual({ code: 1008, reason: 'bad signature' });
  });
});

describe('P-256 device keys', () => {
  it('refuses a point moved off the curve by one bit of y', async () => {
    const { publicJwk } = await generateDeviceKey('P-256');
    const jwk = publicJwk as Extract<DevicePublicKey, { kty: 'EC' }>;
    const y = fromBase64url(jwk.y)!;
    y[31] = y[31]! ^ 1;
    expect(await importDeviceKey(jwk)).not.toBeNull();
    expect(await importDeviceKey({ ...jwk, y: base64url(y) })).toBeNull();
  });
});
