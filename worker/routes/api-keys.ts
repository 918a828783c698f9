/** API keys of the signed-in user: create (shown once), list, revoke, rotate (DESIGN.md §4). */
import {
  type ApiKeyRow,
  findApiKey,
  insertApiKey,
  listApiKeys,
  revokeApiKey,
  rotateApiKey,
} from '../../core/db/api-keys';
import { randomId } from '../../core/encoding';
import {
  ApiKeyParams,
  ApiKeysOut,
  CreateApiKey,
  CreatedApiKeyOut,
  RotatedApiKeyOut,
  RotateQuery,
} from '../../core/schemas/api-keys';
import { ReauthRequiredOut, StepUpOnly, withStepUp } from '../../core/schemas/step-up';
import { isoOrNull } from '../../core/time';
import type { KeyUsage } from '../../objects/user/api';
import { userActor } from '../auth/actor';
import { newApiKey } from '../auth/api-key';
import { audit } from '../auth/audit';
import { requireStepUp } from '../auth/step-up';
import { ApiError, orFail } from '../errors';
import { validate } from '../http/body';
import { noContent, route } from '../route';

const DAY_MS = 24 * 3600 * 1000;
const noSuchKey = () => new ApiError('not_found', 'No such API key.');

/** A key as lists show it: never its hash, with uses the actor has not written to D1 yet. */
function present(row: ApiKeyRow, pending: KeyUsage[] = []) {
  const extra = pending.find((u) => u.id === row.id);
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    created_at: new Date(row.createdAt).toISOString(),
    last_used_at: isoOrNull(extra ? Math.max(extra.lastUsedAt, row.lastUsedAt ?? 0) : row.lastUsedAt),
    use_count: row.useCount + (extra?.count ?? 0),
    expires_at: isoOrNull(row.expiresAt),
  };
}

export const apiKeyRoutes = [
  route({
    method: 'POST',
    path: '/v1/me/api-keys',
    summary: 'Create an API key (shown once; step-up)',
    tag: 'API keys',
    access: 'user',
    scope: 'account',
    body: withStepUp(CreateApiKey),
    responses: {
      201: { description: 'The key; only its hash is kept, so store it now.', schema: CreatedApiKeyOut },
      401: {
        description: '`reauth_required`: no sign-in in the last 10 minutes and no `reauth` proof.',
        schema: ReauthRequiredOut,
      },
    },
    async handle({ rc, body, reply }) {
      const userId = rc.principal.userId;
      await requireStepUp(rc, body.reauth);
      const now = Date.now();
      const { key, hash, prefix } = await newApiKey();
      const row: ApiKeyRow = {
        id: randomId(),
        userId,
        name: body.name,
        prefix,
        keyHash: hash,
        previousKeyHash: null,
        previousExpiresAt: null,
        scopes: body.scopes,
        createdAt: now,
        lastUsedAt: null,
        useCount: 0,
        expiresAt: body.expires_in_days ? now + body.expires_in_days * DAY_MS : null,
        revokedAt: null,
      };
      await insertApiKey(rc.d1.primary(), row);
      await audit(rc, userId, 'api_key_created', { api_key_id: row.id, scopes: row.scopes });
      return reply(201, { ...present(row), key });
    },
  }),
  route({
    method: 'GET',
    path: '/v1/me/api-keys',
    summary: 'List your API keys',
    tag: 'API keys',
    access: 'user',
    scope: 'account',
    responses: { 200: { description: 'Live keys, oldest first, without secrets.', schema: ApiKeysOut } },
    async handle({ rc, reply }) {
      const userId = rc.principal.userId;
      const [rows, pending] = await Promise.all([
        listApiKeys(rc.d1.replica(), userId),
        userActor(rc, userId).pendingKeyUsage(),
      ]);
      return reply(200, { api_keys: rows.map((row) => present(row, pending)) });
    },
  }),
  route({
    method: 'DELETE',
    path: '/v1/me/api-keys/:id',
    summary: 'Revoke an API key (at once)',
    tag: 'API keys',
    access: 'user',
    scope: 'account',
    responses: { 204: { description: 'Revoked.' }, 404: { description: 'No live key of yours has this id.' } },
    async handle({ rc, params }) {
      const { id } = validate(ApiKeyParams, params);
      const userId = rc.principal.userId;
      orFail(await revokeApiKey(rc.d1.primary(), userId, id), { not_found: noSuchKey });
      await audit(rc, userId, 'api_key_revoked', { api_key_id: id });
      return noContent();
    },
  }),
  route({
    method: 'POST',
    path: '/v1/me/api-keys/:id/rotate',
    summary: 'Give an API key a new secret; the old one works through a grace period (step-up)',
    tag: 'API keys',
    access: 'user',
    scope: 'account',
    query: RotateQuery,
    body: StepUpOnly,
    bodyOptional: true,
    responses: {
      200: { description: 'The new key (shown once) and until when the old one works.', schema: RotatedApiKeyOut },
      401: {
        description: '`reauth_required`: no sign-in in the last 10 minutes and no `reauth` proof.',
        schema: ReauthRequiredOut,
      },
      404: { description: 'No live key of yours has this id.' },
    },
    async handle({ rc, params, query, body, reply }) {
      const { id } = validate(ApiKeyParams, params);
      const userId = rc.principal.userId;
      await requireStepUp(rc, body.reauth);
      if (!(await findApiKey(rc.d1.primary(), userId, id))) throw noSuchKey();
      const { key, hash, prefix } = await newApiKey();
      const previousExpiresAt = Date.now() + query.grace_hours * 3600 * 1000;
      orFail(await rotateApiKey(rc.d1.primary(), userId, id, { keyHash: hash, prefix, previousExpiresAt }), {
        not_found: noSuchKey,
      });
      await audit(rc, userId, 'api_key_rotated', { api_key_id: id, grace_hours: query.grace_hours });
      return reply(200, { id, key, prefix, previous_valid_until: new Date(previousExpiresAt).toISOString() });
    },
  }),
];
