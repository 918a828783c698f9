/** Request and response shapes of API keys (DESIGN.md §4). */
import * as v from 'valibot';
import { Id, Timestamp } from './common';

/** `connections:read` reads provider access tokens (GET /v1/me/connections/{provider}/token), which `read` never does. */
export const GRANTABLE_SCOPES = ['read', 'write', 'connections:read'] as const;

export const CreateApiKey = v.strictObject({
  name: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(100)),
  scopes: v.pipe(
    v.array(v.picklist(GRANTABLE_SCOPES, 'must be read, write or connections:read (admin scopes cannot be granted)')),
    v.minLength(1, 'must name at least one scope'),
    v.transform((scopes) => [...new Set(scopes)]),
  ),
  expires_in_days: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(3650))),
});

export const ApiKeyParams = v.strictObject({ id: Id });
export const RotateQuery = v.strictObject({
  grace_hours: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d{1,3}$/, 'must be a whole number'),
      v.transform(Number),
      v.maxValue(168, 'must be at most 168'),
    ),
    '24',
  ),
});

export const ApiKeyOut = v.object({
  id: v.string(),
  name: v.string(),
  prefix: v.string(),
  scopes: v.array(v.string()),
  created_at: Timestamp,
  last_used_at: v.nullable(Timestamp),
  use_count: v.number(),
  expires_at: v.nullable(Timestamp),
});
export const ApiKeysOut = v.object({ api_keys: v.array(ApiKeyOut) });
export const CreatedApiKeyOut = v.object({ ...ApiKeyOut.entries, key: v.string() });
export const RotatedApiKeyOut = v.object({
  id: v.string(),
  key: v.string(),
  prefix: v.string(),
  previous_valid_until: Timestamp,
});
