import { describe, expect, it } from 'vitest';
import { ARGON2_PARAMS, DECOY_HASH, hashPassword, needsRehash, verifyDecoy, verifyPassword } from '../core/password';

describe('argon2id password hashing', () => {
  it('makes PHC strings with the OWASP parameters and verifies them', () => {
    const phc = hashPassword('a long passphrase');
    expect(phc).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(verifyPassword('a long passphrase', phc)).toBe(true);
    expect(verifyPassword('a long passphrasE', phc)).toBe(false);
    expect(needsRehash(phc)).toBe(false);
  });

  it('salts every hash', () => {
    expect(hashPassword('same')).not.toBe(hashPassword('same'));
  });

  it('asks for a rehash of weaker parameters and refuses malformed strings', () => {
    expect(needsRehash(hashPassword('x', { m: 1024, t: 1, p: 1 }))).toBe(true);
    expect(verifyPassword('x', '$argon2id$v=19$m=19456,t=2,p=1$!!$!!')).toBe(false);
    expect(verifyPassword('x', 'plain')).toBe(false);
  });

  it('keeps a decoy made with today’s parameters, so an unknown email costs one real verification', () => {
    expect(verifyDecoy('anything at all')).toBe(false);
    // Raising ARGON2_PARAMS without a new decoy would make unknown emails cheaper than known ones.
    expect(needsRehash(DECOY_HASH)).toBe(false);
    expect(ARGON2_PARAMS).toEqual({ m: 19456, t: 2, p: 1 });
  });

  it('hashes the NFKC form, so a stored hash verifies the password however it is composed', () => {
    // Made by this module before the policy change: hashes have always been of the NFKC form.
    const stored = '$argon2id$v=19$m=19456,t=2,p=1$wRTMeU2hQbh7zLZicfaphA$9Xi+P6timz2vKkjkV7xvZng+vd2F9azaHsCjNqzaNtI';
    expect(verifyPassword('Ｃｏｒｒｅｃｔ ﬁsh ｈｏｒｓｅ ²', stored)).toBe(true);
    expect(verifyPassword('Correct fish horse 2', stored)).toBe(true);
    expect(verifyPassword('correct fish horse 2', stored)).toBe(false);
  });
});
