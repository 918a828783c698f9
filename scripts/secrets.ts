/** Development and test secrets: a fresh ES256 signing key set, a data key ring, an admin token. */
import { randomBytes } from 'node:crypto';
import { parseCommand } from './cli.ts';

export async function generateSigningKey(kid: string): Promise<JsonWebKey & { kid: string; alg: string; use: string }> {
  const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const jwk = (await crypto.subtle.exportKey('jwk', pair.privateKey)) as JsonWebKey;
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, d: jwk.d, kid, alg: 'ES256', use: 'sig' };
}

/** A data key for DATA_ENCRYPTION_KEYS: an id and 32 random bytes. */
export const generateDataKey = (kid: string): { kid: string; key: string } => ({
  kid,
  key: randomBytes(32).toString('base64url'),
});

/** An id for a new key: the date and a few random characters. */
export const newKid = (prefix: string): string =>
  `${prefix}-${new Date().toISOString().slice(0, 10)}-${randomBytes(3).toString('hex')}`;

export async function generateSecrets(): Promise<Record<string, string>> {
  return {
    JWT_SIGNING_KEYS: JSON.stringify([await generateSigningKey(newKid('dev'))]),
    DATA_ENCRYPTION_KEYS: JSON.stringify([generateDataKey(newKid('dev'))]),
    ADMIN_TOKEN: randomBytes(32).toString('base64url'),
  };
}

const USAGE = `Usage: npm run --silent secrets [> secrets.json]

Prints a fresh set of secrets as JSON: JWT_SIGNING_KEYS (one ES256 private key),
DATA_ENCRYPTION_KEYS (one data key) and ADMIN_TOKEN, for \`wrangler secret put\` (see the README's deploy guide).
The output holds private keys: redirect it to a file, never into a log.`;

if (import.meta.main) {
  parseCommand({ name: 'secrets', usage: USAGE });
  console.log(JSON.stringify(await generateSecrets(), null, 2));
}
