/** Providers that need only a client id and secret in OAUTH_PROVIDERS. */
import type { OAuthProviderConfig } from '../config';

export type IdentitySource = 'id_token' | 'userinfo' | 'github';

export type Preset = Partial<
  Omit<
    OAuthProviderConfig,
    'client_id' | 'client_secret' | 'token_endpoint_auth_method' | 'private_key_jwk' | 'token_exchange'
  >
> & { identity: IdentitySource };

export const PRESETS: Record<string, Preset> = {
  google: {
    identity: 'id_token',
    issuer: 'https://accounts.google.com',
    authorization_endpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
    token_endpoint: 'https://oauth2.googleapis.com/token',
    userinfo_endpoint: 'https://openidconnect.googleapis.com/v1/userinfo',
    jwks_uri: 'https://www.googleapis.com/oauth2/v3/certs',
    revocation_endpoint: 'https://oauth2.googleapis.com/revoke',
    scopes: ['openid', 'email', 'profile'],
  },
  github: {
    // Plain OAuth 2.0: no ID token; the identity comes from the REST API.
    identity: 'github',
    authorization_endpoint: 'https://github.com/login/oauth/authorize',
    token_endpoint: 'https://github.com/login/oauth/access_token',
    userinfo_endpoint: 'https://api.github.com/user',
    scopes: ['read:user', 'user:email'],
  },
};

/** GitHub's list of the user's addresses, with their `verified` flags. */
export const GITHUB_EMAILS_URL = 'https://api.github.com/user/emails';
