import { env } from 'cloudflare:workers';
import { decodeJwt, decodeProtectedHeader, importJWK, type JWK, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { base64url, utf8 } from '../core/encoding';
import { call, expectError, signup, type Tokens } from './helpers';

const keys = JSON.parse(env.JWT_SIGNING_KEYS) as (JWK & { kid: string })[];

async function forge(
  sub: string,
  sid: string,
  options: {
    key?: JWK & { kid: string };
    iss?: string;
    aud?: string;
    exp?: number;
    kid?: string;
    authTime?: number | null;
  } = {},
) {
  const key = options.key ?? keys[0]!;
  const now = Math.floor(Date.now() / 1000);
  const authTime = options.authTime === undefined ? now - 60 : options.authTime;
  return new SignJWT({ sid, amr: ['pwd'], ...(authTime === null ? {} : { auth_time: authTime }) })
    .setProtectedHeader({ alg: 'ES256', kid: options.kid ?? key.kid, typ: 'at+jwt' })
    .setIssuer(options.iss ?? env.JWT_ISSUER)
    .setAudience(options.aud ?? env.JWT_AUDIENCE)
    .setSubject(sub)
    .setIssuedAt(now - 60)
    .setExpirationTime(options.exp ?? now + 600)
    .setJti(crypto.randomUUID())
    .sign(await importJWK(key, 'ES256'));
}

describe('access tokens', () => {
  let tokens: Tokens;
  let sid: string;
  beforeAll(async () => {
    tokens = await signup();
    sid = decodeJwt(tokens.access_token).sid as string;
  });

  it('are ES256 JWTs with kid and the contract claims, valid 15 minutes', () => {
    const header = decodeProtectedHeader(tokens.access_token);
    expect(header).toMatchObject({ alg: 'ES256', kid: keys[0]!.kid });
    const claims = decodeJwt(tokens.access_token);
    expect(claims).toMatchObject({ iss: env.JWT_ISSUER, aud: env.JWT_AUDIENCE, sub: tokens.user.id, amr: ['pwd'] });
    expect(typeof claims.sid).toBe('string');
    expect(typeof claims.jti).toBe('string');
    expect(claims.exp! - claims.iat!).toBe(900);
  });

  it('publishes every verification key, public halves only, in the JWKS', async () => {
    const response = await call('/.well-known/jwks.json');
    expect(response.status).toBe(200);
    const jwks = (await response.json()) as { keys: Record<string, string>[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual(keys.map((k) => k.kid));
    for (const key of jwks.keys) {
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(key.d).toBeUndefined();
    }
  });

  it('still accepts a token signed by an older key that is still in the set (rotation)', async () => {
    const token = await forge(tokens.user.id, sid, { key: keys[1] });
    expect((await call('/v1/me', { token })).status).toBe(200);
  });

  it('refuses a token without auth_time, however well signed', async () => {
    expect((await call('/v1/me', { token: await forge(tokens.user.id, sid) })).status).toBe(200);
    const token = await forge(tokens.user.id, sid, { authTime: null });
    await expectError(await call('/v1/me', { token }), 401, 'unauthorized');
  });

  it('refuses a token signed by a key that is not in the set', async () => {
    const stranger = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
    ])) as CryptoKeyPair;
    const jwk = (await crypto.subtle.exportKey('jwk', stranger.privateKey)) as JWK;
    const token = await forge(tokens.user.id, sid, { key: { ...jwk, kid: keys[0]!.kid } });
    await expectError(await call('/v1/me', { token }), 401, 'unauthorized');
  });

  it('refuses a tampered payload', async () => {
    const [header, , signature] = tokens.access_token.split('.');
    const claims = decodeJwt(tokens.access_token);
    const other = await signup();
    const tampered = base64url(utf8(JSON.stringify({ ...claims, sub: other.user.id })));
    await expectError(await call('/v1/me', { token: `${header}.${tampered}.${signature}` }), 401, 'unauthorized');
  });

  it('refuses a tampered signature', async () => {
    const flipped = tokens.access_token.slice(0, -3) + (tokens.access_token.endsWith('AAA') ? 'BBB' : 'AAA');
    await expectError(await call('/v1/me', { token: flipped }), 401, 'unauthorized');
  });

  it('refuses an expired token', async () => {
    const token = await forge(tokens.user.id, sid, { exp: Math.floor(Date.now() / 1000) - 5 });
    await expectError(await call('/v1/me', { token }), 401, 'unauthorized');
  });

  it('refuses alg none', async () => {
    const header = base64url(utf8(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: keys[0]!.kid })));
    const payload = base64url(utf8(JSON.stringify(decodeJwt(tokens.access_token))));
    await expectError(await call('/v1/me', { token: `${header}.${payload}.` }), 401, 'unauthorized');
  });

  it('refuses an HS256 token keyed with the public key (algorithm confusion)', async () => {
    const publicJwk = { kty: 'EC', crv: 'P-256', x: keys[0]!.x, y: keys[0]!.y };
    const secret = utf8(JSON.stringify(publicJwk));
    const token = await new SignJWT({ sid, amr: ['pwd'] })
      .setProtectedHeader({ alg: 'HS256', kid: keys[0]!.kid, typ: 'at+jwt' })
      .setIssuer(env.JWT_ISSUER)
      .setAudience(env.JWT_AUDIENCE)
      .setSubject(tokens.user.id)
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti('x')
      .sign(secret);
    await expectError(await call('/v1/me', { token }), 401, 'unauthorized');
  });

  it('refuses a wrong audience, a wrong issuer and an unknown kid', async () => {
    for (const options of [{ aud: 'someone-else' }, { iss: 'https://evil.example' }, { kid: 'no-such-kid' }]) {
      const token = await forge(tokens.user.id, sid, options);
      await expectError(await call('/v1/me', { token }), 401, 'unauthorized');
    }
  });

  it('refuses a validly signed token whose session does not exist', async () => {
    const token = await forge(tokens.user.id, 'no-such-session');
    await expectError(await call('/v1/me', { token }), 401, 'unauthorized');
  });

  it('refuses garbage, an empty bearer and another scheme', async () => {
    await expectError(await call('/v1/me', { token: 'garbage' }), 401, 'unauthorized');
    await expectError(await call('/v1/me', { headers: { authorization: 'Bearer ' } }), 401, 'unauthorized');
    await expectError(
      await call('/v1/me', { headers: { authorization: `Basic ${btoa('a:b')}` } }),
      401,
      'unauthorized',
    );
    await expectError(await call('/v1/me'), 401, 'unauthorized');
  });
});
