/** Request and response shapes of accounts and sessions (DESIGN.md §3). */
import * as v from 'valibot';
import { DisplayName, Email, Id, PasswordInput, queryInt, Timestamp } from './common';

export const CookieMode = v.strictObject({ mode: v.optional(v.picklist(['cookie', 'body'])) });

export const Signup = v.strictObject({ email: Email, password: PasswordInput, name: v.optional(DisplayName) });
export const Login = v.strictObject({ email: Email, password: PasswordInput });
/** In cookie mode the refresh token may come from its cookie instead. */
export const Refresh = v.strictObject({ refresh_token: v.optional(v.pipe(v.string(), v.maxLength(512))) });
/** `current_password` may be left out only by an account that has none (signed up through OAuth). */
export const ChangePassword = v.strictObject({
  current_password: v.optional(PasswordInput),
  new_password: PasswordInput,
  /** A password change signs out everything else unless told to keep keys or devices. */
  keep_api_keys: v.optional(v.boolean(), false),
  keep_devices: v.optional(v.boolean(), false),
  /** Provider tokens are deleted and revoked unless kept; the connections stay, as ways to sign in. */
  keep_connections: v.optional(v.boolean(), false),
});
export const RevokedOut = v.object({
  sessions_revoked: v.number(),
  api_keys_revoked: v.number(),
  devices_revoked: v.number(),
  /** Connections whose provider tokens were deleted (and revoked at the provider). */
  connections_revoked: v.number(),
});
export const DeleteAccount = v.strictObject({ password: v.optional(PasswordInput) });
export const UpdateProfile = v.strictObject({ name: v.nullable(DisplayName) });
export const SessionParams = v.strictObject({ id: Id });
export const AuditQuery = v.strictObject({
  limit: queryInt(1, 100, 50),
  cursor: v.optional(v.pipe(v.string(), v.regex(/^\d{1,15}\.[A-Za-z0-9_-]{1,64}$/, 'is not a valid cursor'))),
});

export const ProfileOut = v.object({
  id: v.string(),
  email: v.string(),
  name: v.nullable(v.string()),
  mfa_enabled: v.boolean(),
  created_at: Timestamp,
});

export const TokensOut = v.object({
  user: ProfileOut,
  access_token: v.optional(v.string()),
  refresh_token: v.optional(v.string()),
  expires_in: v.number(),
  token_type: v.literal('Bearer'),
});

export const SessionOut = v.object({
  id: v.string(),
  created_at: Timestamp,
  last_used_at: Timestamp,
  user_agent: v.nullable(v.string()),
  ip: v.nullable(v.string()),
  current: v.boolean(),
});
export const SessionsOut = v.object({ sessions: v.array(SessionOut) });

export const AuditOut = v.object({
  events: v.array(
    v.object({
      id: v.string(),
      type: v.string(),
      ip: v.nullable(v.string()),
      user_agent: v.nullable(v.string()),
      details: v.nullable(v.record(v.string(), v.unknown())),
      created_at: Timestamp,
    }),
  ),
  next_cursor: v.nullable(v.string()),
});

/** A public ES256 verification key, as /.well-known/jwks.json lists it. */
export const PublicJwk = v.object({
  kty: v.literal('EC'),
  crv: v.literal('P-256'),
  x: v.string(),
  y: v.string(),
  kid: v.string(),
  alg: v.literal('ES256'),
  use: v.literal('sig'),
});
export const JwksOut = v.object({ keys: v.array(PublicJwk) });
