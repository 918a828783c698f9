/**
 * The OAuth 2 / OIDC client: oauth4webapi behind our Result vocabulary, and the only module
 * that imports it. Every call goes out through `providerFetch` (timeout, user agent, 5xx and
 * 429 as `unavailable`); client authentication is the provider's configured method.
 */
import { importJWK } from 'jose';
import * as o from 'oauth4webapi';
import { log } from '../log';
import { err, type Result } from '../result';
import { type ProviderFailure, providerFetch, settle } from './http';
import type { Provider } from './provider';

// Asymmetric algorithms only: no `none`, no HMAC keyed with a public value.
const ID_TOKEN_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];
const CLOCK_TOLERANCE_S = 30;

const options = () => ({ [o.customFetch]: providerFetch() });

// oauth4webapi caches a provider's JWKS per AuthorizationServer object: keep one per provider.
const servers = new Map<string, o.AuthorizationServer>();

function serverOf(p: Provider): o.AuthorizationServer {
  const as: o.AuthorizationServer = {
    // A plain OAuth 2.0 provider has no issuer: its token endpoint stands in (the assertion's `aud`).
    issuer: p.issuer ?? p.tokenEndpoint,
    authorization_endpoint: p.authorizationEndpoint,
    token_endpoint: p.tokenEndpoint,
    id_token_signing_alg_values_supported: ID_TOKEN_ALGORITHMS,
    ...(p.userinfoEndpoint ? { userinfo_endpoint: p.userinfoEndpoint } : {}),
    ...(p.revocationEndpoint ? { revocation_endpoint: p.revocationEndpoint } : {}),
    ...(p.jwksUri ? { jwks_uri: p.jwksUri } : {}),
  };
  const key = JSON.stringify(as);
  let cached = servers.get(key);
  if (!cached) {
    cached = as;
    servers.set(key, as);
  }
  return cached;
}

const clientOf = (p: Provider): o.Client => ({ client_id: p.clientId, [o.clockTolerance]: CLOCK_TOLERANCE_S });

const keys = new WeakMap<object, Promise<o.PrivateKey | null>>();

/** The provider's client authentication; null when its private key cannot be imported (logged). */
async function authOf(p: Provider): Promise<o.ClientAuth | null> {
  const auth = p.clientAuth;
  if (auth.method !== 'private_key_jwt')
    return auth.method === 'client_secret_basic' ? o.ClientSecretBasic(auth.secret) : o.ClientSecretPost(auth.secret);
  let key = keys.get(auth.jwk);
  if (!key) {
    const { kid, alg } = auth.jwk;
    key = importJWK(auth.jwk, alg).then(
      (k) => ({ key: k as CryptoKey, ...(kid ? { kid } : {}) }),
      () => {
        log('error', 'OAuth client key cannot be imported', { provider: p.name });
        return null;
      },
    );
    keys.set(auth.jwk, key);
  }
  const imported = await key;
  return imported && o.PrivateKeyJwt(imported);
}

// A key that passed the start-up check but does not import is our fault: `unavailable`, so a
// refresh is retried and backed off rather than blamed on the user's grant.
const NO_CLIENT_AUTH = err({ type: 'unavailable', status: null } as const);

/** An OIDC discovery document, checked to name the issuer it was fetched for. */
export const discoveryDocument = (issuer: string): Promise<Result<o.AuthorizationServer, ProviderFailure>> =>
  settle(
    (async () => {
      const url = new URL(issuer);
      return o.processDiscoveryResponse(url, await o.discoveryRequest(url, options()));
    })(),
  );

/** A token answer; `claims` are the ID token's, verified, for providers whose identity is the ID token. */
export interface TokenAnswer {
  accessToken: string;
  refreshToken: string | null;
  expiresIn: number | null;
  /** The granted scope as the provider said it (space-separated); null when it did not say. */
  scope: string | null;
  claims: o.IDToken | null;
}

const answerOf = (t: o.TokenEndpointResponse, claims: o.IDToken | null): TokenAnswer => ({
  accessToken: t.access_token,
  refreshToken: t.refresh_token ?? null,
  expiresIn: t.expires_in ?? null,
  scope: t.scope ?? null,
  claims,
});

/** One token endpoint call, with the provider's server, client and client authentication. */
async function grant(
  p: Provider,
  call: (as: o.AuthorizationServer, client: o.Client, auth: o.ClientAuth) => Promise<TokenAnswer>,
): Promise<Result<TokenAnswer, ProviderFailure>> {
  const auth = await authOf(p);
  return auth ? settle(call(serverOf(p), clientOf(p), auth)) : NO_CLIENT_AUTH;
}

/**
 * The authorization code grant with the PKCE verifier. For an OIDC provider the ID token is
 * required and checked: signature against the JWKS, `iss`, `aud`, `exp`, `iat` and our `nonce`.
 */
export const codeGrant = (p: Provider, input: { code: string; verifier: string; redirectUri: string; nonce: string }) =>
  grant(p, async (as, client, auth) => {
    // Our own state record has already been taken and matched: only the code is passed on.
    const params = o.validateAuthResponse(as, client, new URLSearchParams({ code: input.code }), o.expectNoState);
    const { redirectUri, verifier } = input;
    const response = await o.authorizationCodeGrantRequest(as, client, auth, params, redirectUri, verifier, options());
    if (p.identity !== 'id_token')
      return answerOf(await o.processAuthorizationCodeResponse(as, client, response), null);
    const tokens = await o.processAuthorizationCodeResponse(as, client, response, {
      expectedNonce: input.nonce,
      requireIdToken: true,
    });
    await o.validateApplicationLevelSignature(as, response, options());
    return answerOf(tokens, o.getValidatedIdTokenClaims(tokens) ?? null);
  });

/** The refresh token grant, with the same client authentication. */
export const refreshGrant = (p: Provider, refreshToken: string) =>
  grant(p, async (as, client, auth) => {
    const response = await o.refreshTokenGrantRequest(as, client, auth, refreshToken, options());
    return answerOf(await o.processRefreshTokenResponse(as, client, response), null);
  });

/** RFC 7009: revokes a token at the provider's revocation endpoint, with the client's authentication. */
export async function revokeGrant(
  p: Provider,
  token: string,
  hint: 'access_token' | 'refresh_token',
): Promise<Result<null, ProviderFailure>> {
  const auth = await authOf(p);
  if (!auth) return NO_CLIENT_AUTH;
  const as = serverOf(p);
  return settle(
    (async () => {
      const params = new URLSearchParams({ token_type_hint: hint });
      const response = await o.revocationRequest(as, clientOf(p), auth, token, {
        ...options(),
        additionalParameters: params,
      });
      await o.processRevocationResponse(response);
      return null;
    })(),
  );
}

/** A bearer GET to the userinfo endpoint, or to `url` (GitHub's REST API); the answer is the caller's to read. */
export const bearerGet = (p: Provider, accessToken: string, url?: string): Promise<Result<Response, ProviderFailure>> =>
  settle(
    url
      ? o.protectedResourceRequest(accessToken, 'GET', new URL(url), new Headers(), null, options())
      : o.userInfoRequest(serverOf(p), clientOf(p), accessToken, options()),
  );

/** A PKCE verifier (256 bits as 43 characters) and its S256 challenge. */
export const newVerifier = (): string => o.generateRandomCodeVerifier();
export const challengeOf = (verifier: string): Promise<string> => o.calculatePKCECodeChallenge(verifier);
