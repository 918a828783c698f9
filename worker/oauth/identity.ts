/** The identity behind a token answer: a verified ID token for OIDC providers, else userinfo. */

import { verifyIdToken } from '../../core/oauth/id-token';
import { type Identity, identityFromClaims, identityFromUserinfo } from '../../core/oauth/identity';
import type { Provider } from '../../core/oauth/provider';
import type { ProviderTokens } from '../../core/oauth/tokens';
import { ApiError } from '../errors';

const unavailable = () => new ApiError('upstream_unavailable', 'The sign-in provider is unavailable.');
const invalid = () => new ApiError('unauthorized', 'The provider’s answer could not be verified.');

export async function readIdentity(provider: Provider, tokens: ProviderTokens, nonce: string): Promise<Identity> {
  if (provider.identity === 'id_token') {
    if (!tokens.idToken) throw invalid();
    const claims = await verifyIdToken(provider, tokens.idToken, nonce);
    if (!claims.ok) throw claims.error.type === 'unavailable' ? unavailable() : invalid();
    const identity = identityFromClaims(claims.value);
    if (!identity.ok) throw invalid();
    return identity.value;
  }
  const identity = await identityFromUserinfo(provider, tokens.accessToken);
  if (!identity.ok) throw identity.error.type === 'unavailable' ? unavailable() : invalid();
  return identity.value;
}
