import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../core/config';
import { seal, sealedWithCurrent, unseal } from '../core/crypto-box';
import { base64url, fromBase64url, randomBytes, utf8 } from '../core/encoding';

const ring = parseConfig({ ...env }).dataKeys;
const [current, previous] = ring as [(typeof ring)[0], (typeof ring)[0]];

/** A value as the single-key era sealed it: `v1.<iv>.<ciphertext>`, no key id. */
async function sealV1(key: string, plaintext: string, context: string): Promise<string> {
  const raw = new Uint8Array(fromBase64url(key) as Uint8Array);
  const cryptoKey = await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt']);
  const iv = randomBytes(12);
  const ciphertext = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: utf8(context) },
    cryptoKey,
    utf8(plaintext),
  );
  return `v1.${base64url(iv)}.${base64url(new Uint8Array(ciphertext))}`;
}

describe('the data key ring', () => {
  it('seals under the first key and names it in the value', async () => {
    const sealed = await seal(ring, 'secret', 'ctx');
    expect(sealed.startsWith(`v2.${current.kid}.`)).toBe(true);
    expect(sealedWithCurrent(ring, sealed)).toBe(true);
    expect(await unseal(ring, sealed, 'ctx')).toEqual({ plaintext: 'secret', stale: false });
  });

  it('opens a value of an older key of the ring and calls it stale', async () => {
    const sealed = await seal([previous], 'secret', 'ctx');
    expect(sealedWithCurrent(ring, sealed)).toBe(false);
    expect(await unseal(ring, sealed, 'ctx')).toEqual({ plaintext: 'secret', stale: true });
  });

  it('opens a key-less v1 value under any key of the ring, as stale', async () => {
    const sealed = await sealV1(previous.key, 'secret', 'ctx');
    expect(await unseal(ring, sealed, 'ctx')).toEqual({ plaintext: 'secret', stale: true });
  });

  it('does not open a value whose key left the ring', async () => {
    const sealed = await seal([previous], 'secret', 'ctx');
    expect(await unseal([current], sealed, 'ctx')).toBeNull();
  });

  it('does not open a value under another key that claims its id', async () => {
    const sealed = await seal([previous], 'secret', 'ctx');
    const relabelled = sealed.replace(`v2.${previous.kid}.`, `v2.${current.kid}.`);
    expect(await unseal(ring, relabelled, 'ctx')).toBeNull();
  });

  it('refuses a value sealed for another context, tampered with, or malformed', async () => {
    const sealed = await seal(ring, 'secret', 'ctx');
    expect(await unseal(ring, sealed, 'other')).toBeNull();
    const last = sealed.at(-2) === 'A' ? 'B' : 'A';
    expect(await unseal(ring, `${sealed.slice(0, -2)}${last}${sealed.at(-1)}`, 'ctx')).toBeNull();
    for (const bad of ['', 'v2', `v2.${current.kid}.x`, 'v3.a.b.c', 'v1.a.b.c']) {
      expect(await unseal(ring, bad, 'ctx')).toBeNull();
    }
  });
});
