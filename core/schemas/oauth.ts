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

/** Seconds the answered token must still be valid for: 0 to 3600, default 60. */
export const ProviderTokenQuery = v.strictObject({
  min_ttl: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d{1,4}$/, 'must be a whole number of seconds'),
      v.transform(Number),
      v.maxValue(3600, 'must be at most 3600'),
    ),
    '60',
  ),
});

export const ProviderTokenOut = v.object({
  provider: v.string(),
  access_token: v.string(),
  token_type: v.literal('Bearer'),
  /** null when the provider gave no expiry (GitHub's tokens do not expire). */
  expires_at: v.nullable(Timestamp),
  /** The granted scopes, as the provider said or, when it did not, as asked for. */
  scopes: v.array(v.string()),
});

/** 409 `connection_reauth_required`: where the user goes to sign in with the provider again. */
export const ConnectionReauthOut = v.object({
  error: v.object({
    code: v.literal('connection_reauth_required'),
    message: v.string(),
    request_id: v.string(),
    details: v.array(v.unknown()),
  }),
  provider: v.string(),
  /** `GET` in a browser after adding `redirect_to` (and step-up, DESIGN.md §3). */
  link_url: v.string(),
});
