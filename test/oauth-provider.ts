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
  /**
   * Refresh tokens on a refresh: `lenient` answers a new one and the old keeps working, `strict`
   * answers a new one and spends the old (a reuse is invalid_grant), `none` answers none.
   */
  rotation: 'lenient' | 'strict' | 'none' = 'lenient';
  /** The `scope` of token answers; none when null. */
  grantedScope: string | null = null;
  /** The queries that reached `/exchange`. */
  readonly exchanges: URLSearchParams[] = [];
  /** Whether discovery names a revocation endpoint (RFC 7009). */
  revocable = true;
  /** Tokens revoked at `/revoke`, in order, with their hints. */
  readonly revoked: { token: string; hint: string | null }[] = [];
  /** How long a path takes to answer (ms), for answers that come slowly. */
  readonly slow: Record<string, number> = {};
  /** How many of the next requests to a path (`/token`, `/userinfo`, …) answer 503; Infinity: down. */
  readonly outage: Record<string, number> = {};
  /** The users behind access tokens handed out for a code. */
  private readonly holders = new Map<string, FakeUser>();
  /** The userinfo answer for a user: standard claims, or another provider's shape. */
  userinfo: (user: FakeUser) => unknown = (user) => ({
    sub: user.sub,
    email: user.email,
    email_verified: user.email_verified,
    name: user.name,
  });
  /** Every access token handed out, newest last. */
  readonly accessTokens: string[] = [];
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
    const delay = this.slow[url.pathname];
    if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
    const down = this.outage[url.pathname] ?? 0;
    if (down > 0) {
      this.outage[url.pathname] = down - 1;
      return new Response('down', { status: 503 });
    }
    switch (url.pathname) {
      case '/.well-known/openid-configuration':
        return Response.json({
          issuer: this.issuer,
          authorization_endpoint: `${this.issuer}/authorize`,
          token_endpoint: `${this.issuer}/token`,
          userinfo_endpoint: `${this.issuer}/userinfo`,
          jwks_uri: `${this.issuer}/jwks`,
          ...(this.revocable ? { revocation_endpoint: `${this.issuer}/revoke` } : {}),
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
      case '/exchange': {
        // Meta's fb_exchange_token: a short-lived user token (and the client's secret) for a long-lived one.
        const p = url.searchParams;
        this.exchanges.push(p);
        const user = this.holders.get(p.get('fb_exchange_token') ?? '');
        if (p.get('grant_type') !== 'fb_exchange_token' || p.get('client_id') !== this.clientId)
          return Response.json({ error: { message: 'bad request', type: 'OAuthException' } }, { status: 400 });
        if (p.get('client_secret') !== this.clientSecret || !user)
          return Response.json({ error: { message: 'invalid token', type: 'OAuthException' } }, { status: 400 });
        const long = `long-${crypto.randomUUID()}`;
        this.holders.set(long, user);
        this.accessTokens.push(long);
        return Response.json({ access_token: long, token_type: 'bearer', expires_in: 5_184_000 });
      }
      case '/revoke': {
        const form = new URLSearchParams(new TextDecoder().decode(await request.arrayBuffer()));
        if (!(await this.authenticated(request.headers.get('authorization'), form)))
          return Response.json({ error: 'invalid_client' }, { status: 401 });
        this.revoked.push({ token: form.get('token') ?? '', hint: form.get('token_type_hint') });
        return new Response(null, { status: 200 });
      }
      case '/userinfo': {
        const user = this.holders.get(request.headers.get('authorization')?.replace(/^Bearer /, '') ?? '');
        if (!user) return Response.json({ error: 'invalid_token' }, { status: 401 });
        return Response.json(this.userinfo(user));
      }
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
      const used = form.get('refresh_token') ?? '';
      if (this.refresh === 'invalid_grant' || !this.issued.includes(used)) {
        return Response.json({ error: 'invalid_grant' }, { status: 400 });
      }
      if (this.rotation === 'strict') this.issued.splice(this.issued.indexOf(used), 1);
      const { refresh_token, ...rest } = this.tokens();
      return Response.json(this.rotation === 'none' ? rest : { ...rest, refresh_token });
    }
    const grant = this.grants.get(form.get('code') ?? '');
    this.grants.delete(form.get('code') ?? '');
    const verifier = form.get('code_verifier') ?? '';
    if (!grant || grant.redirectUri !== form.get('redirect_uri') || (await challengeOf(verifier)) !== grant.challenge) {
      return Response.json({ error: 'invalid_grant' }, { status: 400 });
    }
    const tokens = this.tokens();
    this.holders.set(tokens.access_token, grant.user);
    // A plain OAuth 2.0 flow (no nonce asked) gets no ID token, as from such a provider.
    if (grant.nonce === null) return Response.json(tokens);
    return Response.json({ ...tokens, id_token: await this.idToken(grant) });
  }

  private tokens() {
    const refresh = `refresh-${crypto.randomUUID()}`;
    this.issued.push(refresh);
    const access = `access-${crypto.randomUUID()}`;
    this.accessTokens.push(access);
    return {
      access_token: access,
      refresh_token: refresh,
      token_type: 'Bearer',
      expires_in: this.expiresIn,
      ...(this.grantedScope === null ? {} : { scope: this.grantedScope }),
    };
  }

  /** How many refresh grants reached the token endpoint. */
  refreshGrants(): number {
    return this.tokenRequests.filter((r) => r.form.get('grant_type') === 'refresh_token').length;
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
    for (const provider of providers) {
      const response = await provider.handle(request);
      if (response) return response;
    }
    return new Response('unmocked outbound request', { status: 599 });
  });
}
