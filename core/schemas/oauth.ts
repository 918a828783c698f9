/** Request and response shapes of OAuth login and connected accounts (DESIGN.md §6). */
import * as v from 'valibot';
import { Timestamp } from './common';

export const ProviderName = v.pipe(v.string(), v.regex(/^[a-z0-9_-]{1,32}$/, 'is not a provider name'));
export const ProviderParams = v.strictObject({ provider: ProviderName });

export const StartQuery = v.strictObject({
  redirect_to: v.pipe(v.string(), v.maxLength(2048), v.url('must be an absolute URL')),
  intent: v.optional(v.picklist(['login', 'link']), 'login'),
  mode: v.optional(v.picklist(['cookie', 'body']), 'body'),
});

const Param = v.pipe(v.string(), v.maxLength(2048));

/** What a provider sends back: `code` and `state`, or an `error`; other fields are ignored. */
export const CallbackQuery = v.looseObject({
  state: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}$/, 'is not a valid state'))),
  code: v.optional(Param),
  error: v.optional(Param),
});

export const Exchange = v.strictObject({ login_code: v.pipe(v.string(), v.minLength(1), v.maxLength(256)) });

export const ConnectionOut = v.object({
  provider: v.string(),
  provider_user_id: v.string(),
  email: v.nullable(v.string()),
  status: v.picklist(['ok', 'refreshing', 'reauth_required']),
  expires_at: v.nullable(Timestamp),
  last_refreshed_at: v.nullable(Timestamp),
});
export const ConnectionsOut = v.object({ connections: v.array(ConnectionOut) });
