/** The identity behind a token answer: the verified ID token's claims for OIDC providers, else userinfo. */

import { guarded } from '../../core/oauth/guard';
import { type Identity, identityFromClaims, identityFromUserinfo } from '../../core/oauth/identity';
import type { Provider } from '../../core/oauth/provider';
import type { ProviderTokens } from '../../core/oauth/tokens';
import { ApiError } from '../errors';

const unavailable = () => new ApiError('upstream_unavailable', 'The sign-in provider is unavailable.');
const invalid = () => new ApiError('unauthorized', 'The provider’s answer could not be verified.');

export async function readIdentity(provider: Provider, tokens: ProviderTokens): Promise<Identity> {
  if (provider.identity === 'id_token') {
    if (!tokens.claims) throw invalid();
    const identity = identityFromClaims(tokens.claims);
    if (!identity.ok) throw invalid();
    return identity.value;
  }
  const identity = await guarded(provider.name, () => identityFromUserinfo(provider, tokens.accessToken));
  if (!identity.ok) throw identity.error.type === 'unavailable' ? unavailable() : invalid();
  return identity.value;
}
