import { describe, expect, it } from 'vitest';
import { newBackupCodes, newTotpSecret, otpauthUri, qrSvg, verifyTotp } from '../core/totp';
import { hotp, totpAt } from './totp-reference';

// RFC 6238 appendix B, SHA-1 seed "12345678901234567890".
const SEED_BASE32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const VECTORS: [number, string][] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

describe('TOTP', () => {
  it('the reference implementation reproduces the RFC 6238 test vectors', async () => {
    for (const [time, code] of VECTORS) expect(await totpAt(SEED_BASE32, time, 0, 8)).toBe(code);
  });

  it('accepts the 6-digit codes of the RFC 6238 vectors at their times', () => {
    for (const [time, code] of VECTORS) {
      expect(verifyTotp(SEED_BASE32, code.slice(-6), null, time * 1000)).toBe(Math.floor(time / 30));
    }
  });

  it('accepts one step either side and nothing further', async () => {
    const secret = newTotpSecret();
    const t = 1_800_000_015;
    const step = Math.floor(t / 30);
    expect(verifyTotp(secret, await totpAt(secret, t, -1), null, t * 1000)).toBe(step - 1);
    expect(verifyTotp(secret, await totpAt(secret, t, 0), null, t * 1000)).toBe(step);
    expect(verifyTotp(secret, await totpAt(secret, t, 1), null, t * 1000)).toBe(step + 1);
    expect(verifyTotp(secret, await totpAt(secret, t, -2), null, t * 1000)).toBeNull();
    expect(verifyTotp(secret, await totpAt(secret, t, 2), null, t * 1000)).toBeNull();
  });

  it('treats the edges of a step exactly', async () => {
    const secret = newTotpSecret();
    const start = 1_800_000_000; // a multiple of 30
    const code = await totpAt(secret, start);
    expect(verifyTotp(secret, code, null, (start + 59) * 1000)).not.toBeNull();
    expect(verifyTotp(secret, code, null, (start + 60) * 1000)).toBeNull();
    expect(verifyTotp(secret, code, null, (start - 30) * 1000)).not.toBeNull();
    expect(verifyTotp(secret, code, null, (start - 31) * 1000)).toBeNull();
  });

  it('refuses a code of a step at or before the last one used (replay)', async () => {
    const secret = newTotpSecret();
    const t = 1_800_000_015;
    const code = await totpAt(secret, t);
    const step = verifyTotp(secret, code, null, t * 1000)!;
    expect(verifyTotp(secret, code, step, t * 1000)).toBeNull();
    expect(verifyTotp(secret, await totpAt(secret, t, -1), step, t * 1000)).toBeNull();
    expect(verifyTotp(secret, await totpAt(secret, t, 1), step, t * 1000)).toBe(step + 1);
  });

  it('refuses malformed codes', () => {
    const secret = newTotpSecret();
    for (const code of ['', '12345', '1234567', 'abcdef', '12 456']) expect(verifyTotp(secret, code, null)).toBeNull();
  });

  it('makes 160-bit base32 secrets, an otpauth URI with issuer and account, and an SVG QR code', async () => {
    const secret = newTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = otpauthUri(secret, 'durable-backend', 'ada@example.com');
    expect(uri).toMatch(/^otpauth:\/\/totp\/durable-backend:ada(%40|@)example\.com\?/);
    const params = new URL(uri).searchParams;
    expect(params.get('secret')).toBe(secret);
    expect(params.get('issuer')).toBe('durable-backend');
    expect(qrSvg(uri)).toMatch(/^<svg[\s\S]*<\/svg>$/);
    expect(await hotp(new Uint8Array(20), 0)).toMatch(/^\d{6}$/);
  });

  it('makes 10 distinct backup codes', () => {
    const codes = newBackupCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-z2-7]{5}(-[a-z2-7]{5}){4}$/);
  });
});
