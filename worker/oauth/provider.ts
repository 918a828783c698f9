/** The configured provider named in the path, resolved (discovery included, behind its breaker) or refused. */
import { isOpen } from '../../core/oauth/breaker';
import { isolateBreakers } from '../../core/oauth/isolate-breakers';
import { type Provider, resolveProvider } from '../../core/oauth/provider';
import type { RequestContext } from '../context';
import { ApiError } from '../errors';

const unavailable = () => new ApiError('upstream_unavailable', 'The sign-in provider is unavailable.');

export async function providerFor(rc: RequestContext, name: string): Promise<Provider> {
  const settings = Object.hasOwn(rc.config.oauthProviders, name) ? rc.config.oauthProviders[name] : undefined;
  if (!settings) throw new ApiError('not_found', 'No such sign-in provider.');
  // An open breaker refuses the sign-in before the browser is sent to a provider that is down.
  if (isOpen(isolateBreakers.state(name), Date.now())) throw unavailable();
  const resolved = await resolveProvider(name, settings);
  if (resolved.ok) return resolved.value;
  // A provider without endpoints is an operator's mistake: a 500, logged with the provider's name.
  if (resolved.error.type === 'misconfigured') throw new Error(`OAuth provider ${name} has no usable endpoints`);
  throw unavailable();
}
