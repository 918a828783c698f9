/**
 * A configured provider made whole: preset values, then OIDC discovery for an `issuer`, then
 * the explicit endpoints of OAUTH_PROVIDERS, each overriding the one before.
 */
import type { ClientKey, OAuthProviderConfig, TokenExchangeConfig, UserinfoFields } from '../config';
import { err, ok, type Result } from '../result';
import { discover } from './discovery';
import { type IdentitySource, PRESETS } from './presets';

/** How the client authenticates at the token endpoint (`token_endpoint_auth_method`). */
export type ClientAuth =
  | { method: 'client_secret_post' | 'client_secret_basic'; secret: string }
  | { method: 'private_key_jwt'; jwk: ClientKey };

export interface Provider {
  name: string;
  clientId: string;
  clientAuth: ClientAuth;
  /** The `iss` its ID tokens carry; null for plain OAuth 2.0 providers. */
  issuer: string | null;
  identity: IdentitySource;
  scopes: string[];
  authorizationEndpoint: string;
  tokenEndpoint: string;
  userinfoEndpoint: string | null;
  /** Where the identity is in a userinfo answer (empty: the standard claims). */
  userinfoFields: UserinfoFields;
  /** The hook that trades the code's tokens for others (Meta's long-lived tokens); null: none. */
  tokenExchange: (TokenExchangeConfig & { clientSecret: string }) | null;
  /** RFC 7009 token revocation; null when the provider offers none. */
  revocationEndpoint: string | null;
  jwksUri: string | null;
}

export type ProviderFailure = { type: 'unavailable' } | { type: 'misconfigured' };

const DEFAULT_OIDC_SCOPES = ['openid', 'email', 'profile'];

// The configuration's check guarantees the secret or the key that the method needs.
const clientAuthOf = (config: OAuthProviderConfig): ClientAuth =>
  config.token_endpoint_auth_method === 'private_key_jwt'
    ? { method: 'private_key_jwt', jwk: config.private_key_jwk as ClientKey }
    : { method: config.token_endpoint_auth_method, secret: config.client_secret as string };

export async function resolveProvider(
  name: string,
  config: OAuthProviderConfig,
): Promise<Result<Provider, ProviderFailure>> {
  const preset = PRESETS[name];
  let merged: Partial<OAuthProviderConfig> = { ...preset, ...config };
  const needsDiscovery = merged.issuer && !(merged.authorization_endpoint && merged.token_endpoint && merged.jwks_uri);
  if (needsDiscovery && merged.issuer) {
    const found = await discover(merged.issuer, name);
    if (!found.ok) return err({ type: 'unavailable' });
    const { authorization_endpoint, token_endpoint, userinfo_endpoint, revocation_endpoint, jwks_uri } = found.value;
    merged = {
      ...preset,
      authorization_endpoint,
      token_endpoint,
      userinfo_endpoint,
      revocation_endpoint,
      jwks_uri,
      ...config,
    };
  }
  if (!merged.authorization_endpoint || !merged.token_endpoint) return err({ type: 'misconfigured' });
  const scopes = merged.scopes ?? (merged.issuer ? DEFAULT_OIDC_SCOPES : []);
  const oidc = Boolean(merged.issuer && merged.jwks_uri && scopes.includes('openid'));
  const identity: IdentitySource = preset?.identity === 'github' ? 'github' : oidc ? 'id_token' : 'userinfo';
  if (identity === 'userinfo' && !merged.userinfo_endpoint) return err({ type: 'misconfigured' });
  return ok({
    name,
    clientId: config.client_id,
    clientAuth: clientAuthOf(config),
    issuer: oidc ? (merged.issuer ?? null) : null,
    identity,
    scopes,
    authorizationEndpoint: merged.authorization_endpoint,
    tokenEndpoint: merged.token_endpoint,
    userinfoEndpoint: merged.userinfo_endpoint ?? null,
    revocationEndpoint: merged.revocation_endpoint ?? null,
    userinfoFields: merged.userinfo_fields ?? {},
    // The configuration's check guarantees a client secret beside token_exchange.
    tokenExchange: config.token_exchange
      ? { ...config.token_exchange, clientSecret: config.client_secret as string }
      : null,
    jwksUri: merged.jwks_uri ?? null,
  });
}
