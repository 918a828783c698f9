import { argon2id } from '@noble/hashes/argon2.js';
import wasm from '@phi-ag/argon2/argon2.wasm';
import { describe, expect, it } from 'vitest';
import { hex, randomBytes, utf8 } from '../core/encoding';
import { ARGON2_PARAMS, hashPassword } from '../core/password';
import { wasmArgon2id, wasmVerify } from './argon2-wasm';

// Why @phi-ag/argon2 0.5.28 is not the password hasher (docs/DESIGN.md §3): its core agrees
// with the reference vectors and with @noble/hashes, but its JavaScript API passes the
// password's UTF-16 length where the C function wants its UTF-8 byte length. These tests
// record both halves; the last group fails once a fixed release hashes every byte.

const somesalt = utf8('somesalt');
const ascii = (length: number) => String.fromCharCode(...Array.from(randomBytes(length), (b) => 0x20 + (b % 95)));

describe('@phi-ag/argon2 loads in workerd and its core matches the references', () => {
  it('is imported as a compiled Wasm module, which Workers allow', () => {
    expect(wasm).toBeInstanceOf(WebAssembly.Module);
  });

  it('anchors @noble/hashes, the reference here, on the RFC 9106 §5.3 argon2id vector', () => {
    const tag = argon2id(new Uint8Array(32).fill(1), new Uint8Array(16).fill(2), {
      m: 32,
      t: 3,
      p: 4,
      dkLen: 32,
      key: new Uint8Array(8).fill(3),
      personalization: new Uint8Array(12).fill(4),
    });
    expect(hex(tag)).toBe('0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659');
  });

  // phc-winner-argon2 src/test.c (f57e61e), argon2id v1.3. The library takes no secret or
  // associated data, so the RFC 9106 §5.3 vector (which needs both) cannot run through it.
  it.each([
    { t: 2, m: 256, p: 1, tag: '9dfeb910e80bad0311fee20f9c0e2b12c17987b4cac90c2ef54d5b3021c68bfe' },
    { t: 2, m: 256, p: 2, tag: '6d093c501fd5999645e0ea3bf620d7b8be7fd2db59c20d9fff9539da2bf57037' },
    { t: 2, m: 65_536, p: 1, tag: '09316115d5cf24ed5a15a31a3ba326e5cf32edc24702987c02b6566f61913cf7' },
  ])('gives the reference tag for "password"/"somesalt" at t=$t, m=$m, p=$p', ({ tag, ...params }) => {
    expect(hex(wasmArgon2id('password', somesalt, params))).toBe(tag);
  });

  it('agrees with @noble/hashes on random ASCII passwords, salts and small parameters', () => {
    for (const params of [
      { m: 64, t: 1, p: 1 },
      { m: 128, t: 3, p: 2 },
      { m: 512, t: 2, p: 4 },
    ]) {
      const password = ascii(1 + (randomBytes(1)[0]! % 64));
      const salt = randomBytes(16);
      expect(hex(wasmArgon2id(password, salt, params)), JSON.stringify({ password, salt: hex(salt) })).toBe(
        hex(argon2id(utf8(password), salt, { ...params, dkLen: 32 })),
      );
    }
  });

  it('agrees with @noble/hashes at the production parameters', () => {
    const password = ascii(24);
    const salt = randomBytes(16);
    expect(hex(wasmArgon2id(password, salt, ARGON2_PARAMS)), JSON.stringify({ password, salt: hex(salt) })).toBe(
      hex(argon2id(utf8(password), salt, { ...ARGON2_PARAMS, dkLen: 32 })),
    );
  });

  it('verifies a stored ASCII hash of core/password and refuses a wrong password', () => {
    const stored = '$argon2id$v=19$m=19456,t=2,p=1$wRTMeU2hQbh7zLZicfaphA$9Xi+P6timz2vKkjkV7xvZng+vd2F9azaHsCjNqzaNtI';
    expect(wasmVerify(stored, 'Correct fish horse 2')).toBe(true);
    expect(wasmVerify(stored, 'correct fish horse 2')).toBe(false);
  });
});

describe('@phi-ag/argon2 0.5.28 hashes a non-ASCII password wrongly (why it is not adopted)', () => {
  it('differs from @noble/hashes and the C reference for a password with é', () => {
    const params = { m: 64, t: 2, p: 1 };
    expect(hex(wasmArgon2id('pässword', somesalt, params))).not.toBe(
      hex(argon2id(utf8('pässword'), somesalt, { ...params, dkLen: 32 })),
    );
  });

  it('gives two different passwords of the same UTF-16 length the same hash', () => {
    // Only the first 8 of the UTF-8 bytes are hashed: "日本" and one byte of "語".
    const params = { m: 64, t: 2, p: 1 };
    expect(hex(wasmArgon2id('日本語ABCDE', somesalt, params))).toBe(
      hex(wasmArgon2id('日本語パスワード', somesalt, params)),
    );
  });

  it('refuses the right password for a stored non-ASCII hash of core/password', () => {
    const stored = hashPassword('Grüße aus Köln', { m: 64, t: 2, p: 1 });
    expect(wasmVerify(stored, 'Grüße aus Köln')).toBe(false);
  });

  it('accepts a wrong password whose first UTF-8 bytes match the right one', () => {
    // "Straße 12" is 9 UTF-16 units and 10 UTF-8 bytes, so its last digit is never hashed.
    const tag = wasmArgon2id('Straße 12', somesalt, { m: 64, t: 2, p: 1 });
    const phc = `$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$${btoa(String.fromCharCode(...tag)).replace(/=+$/, '')}`;
    expect(wasmVerify(phc, 'Straße 12')).toBe(true);
    expect(wasmVerify(phc, 'Straße 13')).toBe(true);
  });
});
