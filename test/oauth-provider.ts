/**
 * A fake OIDC provider, entirely in test code: discovery, JWKS (an ES256 key made here),
 * authorization (as a browser would see it), a token endpoint that authenticates the client
 * by its registered method and checks the PKCE verifier against the S256 challenge it saw,
 * and userinfo. `mockProviders` routes fetch() to them.
 */
import { exportJWK, generateKeyPair, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import { vi } from 'vitest';
import { challengeOf } from '../core/oauth/pkce';

export interface FakeUser {
  sub: string;
  email?: string | null;
  email_verified?: boolean;
  name?: string;
}

interface Grant {
  challenge: string;
  redirectUri: string;
  nonce: string | null;
  user: FakeUser;
}

type Key = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

/** How the client authenticates at the token endpoint, as registered with this provider. */
export type ClientAuthMethod = 'client_secret_post' | 'client_secret_basic' | 'private_key_jwt';

/** What reached the token endpoint: the Authorization header and the form. */
export interface TokenRequest {
  authorization: string | null;
  form: URLSearchParams;
}

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
// RFC 6749 §2.3.1: Basic credentials are form-encoded before base64.
const formDecode = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '));

/** How the ID token of the next code exchange is spoiled, for the verification tests. */
export interface IdTokenTweak {
  aud?: string;
  iss?: string;
  nonce?: string;
  expired?: boolean;
  foreignKey?: boolean;
}

export class FakeProvider {
  readonly clientId = 'fake-client-id';
  readonly clientSecret = 'fake-client-secret-canary';
  readonly grants = new Map<string, Grant>();
  readonly issued: string[] = [];
  readonly requests: string[] = [];
  /** What the token endpoint answers to a refresh: tokens, a 503, or invalid_grant. */
  refresh: 'ok' | 'unavailable' | 'invalid_grant' = 'ok';
  /** Runs while a refresh request is out, before the answer: what happens meanwhile elsewhere. */
  duringRefresh: (() => Promise<void>) | null = null;
  expiresIn = 3600;
  tweak: IdTokenTweak = {};
  auth: ClientAuthMethod = 'client_secret_post';
  /** The public half of the client's key, for `private_key_jwt`. */
  clientKey: CryptoKey | null = null;
  readonly tokenRequests: TokenRequest[] = [];
  private readonly seenJti = new Set<string>();
  private counter = 0;

  private constructor(
    readonly issuer: string,
    private readonly key: Key,
    private readonly foreign: Key,
    private readonly jwk: Record<string, unknown>,
  ) {}

  static async create(issuer: string): Promise<FakeProvider> {
    const [mine, other] = await Promise.all([
      generateKeyPair('ES256', { extractable: true }),
      generateKeyPair('ES256', { extractable: true }),
    ]);
    const jwk = { ...(await exportJWK(mine.publicKey)), kid: 'fake-1', alg: 'ES256', use: 'sig' };
    return new FakeProvider(issuer, mine.privateKey, other.privateKey, jwk);
  }

  /** The OAUTH_PROVIDERS entry: only the issuer, so discovery is exercised. */
  config(extra: Record<string, unknown> = {}) {
    return { issuer: this.issuer, client_id: this.clientId, client_secret: this.clientSecret, ...extra };
  }

  /** The user at the authorization endpoint: answers the callback path our redirect_uri gets. */
  authorize(location: string, user: FakeUser): string {
    const url = new URL(location);
    if (url.origin + url.pathname !== `${this.issuer}/authorize`) throw new Error(`not our endpoint: ${location}`);
    const p = url.searchParams;
    if (p.get('code_challenge_method') !== 'S256' || p.get('client_id') !== this.clientId)
      throw new Error('bad request');
    const code = `code-${++this.counter}-${crypto.randomUUID()}`;
    this.grants.set(code, {
      challenge: p.get('code_challenge')!,
      redirectUri: p.get('redirect_uri')!,
      nonce: p.get('nonce'),
      user,
    });
    const back = new URL(p.get('redirect_uri')!);
    back.searchParams.set('code', code);
    back.searchParams.set('state', p.get('state')!);
    return back.pathname + back.search;
  }

  async handle(request: Request): Promise<Response | null> {
    const url = new URL(request.url);
    if (url.origin !== new URL(this.issuer).origin) return null;
    this.requests.push(`${request.method} ${url.pathname}`);
    switch (url.pathname) {
      case '/.well-known/openid-configuration':
        return Response.json({
          issuer: this.issuer,
          authorization_endpoint: `${this.issuer}/authorize`,
          token_endpoint: `${this.issuer}/token`,
          userinfo_endpoint: `${this.issuer}/userinfo`,
          jwks_uri: `${this.issuer}/jwks`,
        });
      case '/jwks':
        return Response.json({ keys: [this.jwk] });
      case '/token': {
        const form = new URLSearchParams(new TextDecoder().decode(await request.arrayBuffer()));
        this.tokenRequests.push({ authorization: request.headers.get('authorization'), form });
        if (!(await this.authenticated(request.headers.get('authorization'), form)))
          return Response.json({ error: 'invalid_client' }, { status: 401 });
        return this.token(form);
      }
      case '/userinfo':
        return Response.json({ sub: 'userinfo-only' });
      default:
        return new Response('not found', { status: 404 });
    }
  }

  /** The client, authenticated only in the way it registered (RFC 6749 §2.3, RFC 7523). */
  private async authenticated(authorization: string | null, form: URLSearchParams): Promise<boolean> {
    if (this.auth === 'client_secret_post') {
      return (
        !authorization && form.get('client_id') === this.clientId && form.get('client_secret') === this.clientSecret
      );
    }
    if (form.has('client_secret')) return false;
    if (this.auth === 'client_secret_basic') {
      const [id, secret] = atob(authorization?.replace(/^Basic /, '') ?? '').split(':');
      return formDecode(id ?? '') === this.clientId && formDecode(secret ?? '') === this.clientSecret;
    }
    if (authorization || form.get('client_assertion_type') !== ASSERTION_TYPE || !this.clientKey) return false;
    try {
      const { payload } = await jwtVerify(form.get('client_assertion') ?? '', this.clientKey, {
        issuer: this.clientId,
        subject: this.clientId,
        audience: this.issuer,
        requiredClaims: ['exp', 'jti'],
      });
      if (this.seenJti.has(payload.jti!)) return false;
      this.seenJti.add(payload.jti!);
      return true;
    } catch {
      return false;
    }
  }

  private async token(form: URLSearchParams): Promise<Response> {
    if (form.get('grant_type') === 'refresh_token') {
      await this.duringRefresh?.();
      if (this.refresh === 'unavailable') return new Response('down', { status: 503 });
      if (this.refresh === 'invalid_grant' || !this.issued.includes(form.get('refresh_token') ?? '')) {
        return Response.json({ error: 'invalid_grant' }, { status: 400 });
      }
      return Response.json(this.tokens());
    }
    const grant = this.grants.get(form.get('code') ?? '');
    this.grants.delete(form.get('code') ?? '');
    const verifier = form.get('code_verifier') ?? '';
    if (!grant || grant.redirectUri !== form.get('redirect_uri') || (await challengeOf(verifier)) !== grant.challenge) {
      return Response.json({ error: 'invalid_grant' }, { status: 400 });
    }
    return Response.json({ ...this.tokens(), id_token: await this.idToken(grant) });
  }

  private tokens() {
    const refresh = `refresh-${crypto.randomUUID()}`;
    this.issued.push(refresh);
    return {
      access_token: `access-${crypto.randomUUID()}`,
      refresh_token: refresh,
      token_type: 'Bearer',
      expires_in: this.expiresIn,
    };
  }

  private idToken(grant: Grant): Promise<string> {
    const t = this.tweak;
    const claims: JWTPayload = { nonce: t.nonce ?? grant.nonce ?? undefined, name: grant.user.name };
    if (grant.user.email !== undefined) claims.email = grant.user.email;
    if (grant.user.email_verified !== undefined) claims.email_verified = grant.user.email_verified;
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'fake-1' })
      .setIssuer(t.iss ?? this.issuer)
      .setAudience(t.aud ?? this.clientId)
      .setSubject(grant.user.sub)
      .setIssuedAt(t.expired ? now - 7200 : now)
      .setExpirationTime(t.expired ? now - 3600 : now + 300)
      .sign(t.foreignKey ? this.foreign : this.key);
  }
}

/** Routes every fetch() to the fake providers; anything else answers 599. */
export function mockProviders(...providers: FakeProvider[]) {
  return vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    // The test mail relay (vitest.config.ts) accepts the verification link an OAuth signup sends.
    if (new URL(request.url).host === 'mail.test') return new Response(null, { status: 204 });
    for (const provider of providers) {
      const response = await provider.handle(request);
      if (response) return response;
    }
    return new Response('unmocked outbound request', { status: 599 });
  });
}
