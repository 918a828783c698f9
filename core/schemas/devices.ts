/** Request and response shapes of devices (DESIGN.md §5). */
import * as v from 'valibot';
import { DisplayName, Id, Timestamp } from './common';

/** A base64url coordinate of a 32-byte curve point. */
const Coordinate = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}$/, 'must be 32 bytes, base64url'));

const EcPublicKey = v.looseObject({ kty: v.literal('EC'), crv: v.literal('P-256'), x: Coordinate, y: Coordinate });
const OkpPublicKey = v.looseObject({ kty: v.literal('OKP'), crv: v.literal('Ed25519'), x: Coordinate });

/**
 * A device's public JWK, EC P-256 or OKP Ed25519. Private keys (`d`) are refused; the output
 * keeps the public members only. Whether the point is a valid key is proved by importing it.
 */
export const DevicePublicKey = v.pipe(
  v.variant('kty', [EcPublicKey, OkpPublicKey], 'must be an EC P-256 or OKP Ed25519 JWK'),
  v.check((jwk) => !('d' in jwk), 'must be a public key: a private key (d) is never sent'),
  v.transform((jwk) =>
    jwk.kty === 'EC' ? { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } : { kty: jwk.kty, crv: jwk.crv, x: jwk.x },
  ),
);
export type DevicePublicKey = v.InferOutput<typeof DevicePublicKey>;

const DeviceName = v.pipe(DisplayName, v.maxLength(64, 'must be at most 64 characters'));
const Platform = v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(32, 'must be at most 32 characters'));

export const RegisterDevice = v.strictObject({
  name: DeviceName,
  public_key: DevicePublicKey,
  platform: v.optional(Platform),
});
export const RenameDevice = v.strictObject({ name: DeviceName });
export const DeviceParams = v.strictObject({ id: Id });

export const DeviceOut = v.object({
  id: v.string(),
  name: v.string(),
  platform: v.nullable(v.string()),
  created_at: Timestamp,
  last_seen_at: v.nullable(Timestamp),
  online: v.boolean(),
  revoked_at: v.nullable(Timestamp),
});
export type DeviceOut = v.InferOutput<typeof DeviceOut>;

export const DeviceEnvelope = v.object({ device: DeviceOut });
export const DevicesOut = v.object({ devices: v.array(DeviceOut) });
