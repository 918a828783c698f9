/** The signed-in user's own account: profile, password, export, erasure, audit log. */
import { exportUserRows } from '../../core/db/export';
import { toProfile, updateUser } from '../../core/db/users';
import { hashPassword } from '../../core/password';
import {
  AuditOut,
  AuditQuery,
  ChangePassword,
  DeleteAccount,
  ProfileOut,
  RevokedOut,
  UpdateProfile,
} from '../../core/schemas/auth';
import { ReauthRequiredOut, withStepUp } from '../../core/schemas/step-up';
import { userActor } from '../auth/actor';
import { audit } from '../auth/audit';
import { eraseUser } from '../auth/erase';
import { requirePassword } from '../auth/password';
import { currentProfile } from '../auth/profile';
import { revokeAccess } from '../auth/revoke-access';
import { ApiError } from '../errors';
import { dropProviderTokens } from '../oauth/revoke';
import { noContent, route } from '../route';
import { requireAcceptablePassword } from './auth';

export const meRoutes = [
  route({
    method: 'GET',
    path: '/v1/me',
    summary: 'Your profile',
    tag: 'Account',
    access: 'user',
    scope: 'read',
    responses: { 200: { description: 'The profile, from your actor’s cached copy.', schema: ProfileOut } },
    handle: async ({ rc, reply }) => reply(200, await currentProfile(rc)),
  }),
  route({
    method: 'PATCH',
    path: '/v1/me',
    summary: 'Change your display name',
    tag: 'Account',
    access: 'user',
    scope: 'write',
    body: UpdateProfile,
    responses: { 200: { description: 'The updated profile.', schema: ProfileOut } },
    async handle({ rc, body, reply }) {
      const userId = rc.principal.userId;
      const row = await updateUser(rc.env.DB, userId, { name: body.name });
      if (!row) throw new ApiError('unauthorized');
      const profile = toProfile(row);
      await userActor(rc, userId).setProfile(profile);
      await audit(rc, userId, 'profile_updated');
      return reply(200, profile);
    },
  }),
  route({
    method: 'POST',
    path: '/v1/me/password',
    summary:
      'Change your password; every other session, API key and device, and every provider token, is revoked unless kept',
    tag: 'Account',
    access: 'user',
    scope: 'account',
    body: withStepUp(ChangePassword),
    responses: {
      200: { description: 'Changed; what was revoked.', schema: RevokedOut },
      401: {
        description: '`reauth_required`: an account without a password needs a recent sign-in or `reauth`.',
        schema: ReauthRequiredOut,
      },
      403: { description: 'The current password is wrong.' },
    },
    async handle({ rc, body, reply }) {
      const user = await requirePassword(rc, body.current_password, 'current_password', body.reauth);
      await requireAcceptablePassword(body.new_password, 'new_password', user);
      await updateUser(rc.env.DB, user.id, {
        passwordHash: hashPassword(body.new_password),
        passwordSetAt: Date.now(),
      });
      const revoked = await revokeAccess(rc, user.id, {
        keepSessionId: rc.principal.sessionId,
        keepApiKeys: body.keep_api_keys,
        keepDevices: body.keep_devices,
      });
      const connections = body.keep_connections ? 0 : await dropProviderTokens(rc, user.id);
      const answer = { ...revoked, connections_revoked: connections };
      await audit(rc, user.id, 'password_changed', answer);
      return reply(200, answer);
    },
  }),
  route({
    method: 'GET',
    path: '/v1/me/export',
    summary: 'Everything stored about you, as JSON (GDPR access)',
    tag: 'Account',
    access: 'user',
    scope: 'account',
    responses: { 200: { description: 'The export.' } },
    async handle({ rc, reply }) {
      const userId = rc.principal.userId;
      const actor = userActor(rc, userId);
      const [activity, actorState] = await Promise.all([actor.deviceActivity(), actor.exportState()]);
      const lastSeen = new Map(activity.map((a) => [a.deviceId, a.lastSeenAt]));
      const rows = await exportUserRows(rc.env.DB, userId, lastSeen);
      if (!rows) throw new ApiError('unauthorized');
      return reply(
        200,
        { exported_at: new Date().toISOString(), ...rows, ...actorState },
        {
          'content-disposition': 'attachment; filename="export.json"',
        },
      );
    },
  }),
  route({
    method: 'DELETE',
    path: '/v1/me',
    summary: 'Delete your account and everything that is yours (GDPR erasure)',
    tag: 'Account',
    access: 'user',
    scope: 'account',
    body: withStepUp(DeleteAccount),
    responses: {
      204: { description: 'Deleted: sessions, tokens, devices, sockets, rows and actor state.' },
      401: {
        description: '`reauth_required`: an account without a password needs a recent sign-in or `reauth`.',
        schema: ReauthRequiredOut,
      },
      403: { description: 'The password is wrong.' },
    },
    async handle({ rc, body }) {
      const user = await requirePassword(rc, body.password, 'password', body.reauth);
      await eraseUser(rc, user.id);
      return noContent();
    },
  }),
  route({
    method: 'GET',
    path: '/v1/me/audit',
    summary: 'Security events of your account, newest first',
    tag: 'Account',
    access: 'user',
    scope: 'read',
    query: AuditQuery,
    responses: {
      200: { description: 'A page of events; pass `next_cursor` as `cursor` for the next.', schema: AuditOut },
    },
    async handle({ rc, query, reply }) {
      const [at, id] = query.cursor ? (query.cursor.split('.') as [string, string]) : [];
      const before = at && id ? { createdAt: Number(at), id } : null;
      const { entries, more } = await userActor(rc, rc.principal.userId).listAudit(query.limit, before);
      const last = entries.at(-1);
      return reply(200, {
        events: entries.map((entry) => ({ ...entry, created_at: new Date(entry.created_at).toISOString() })),
        next_cursor: more && last ? `${last.created_at}.${last.id}` : null,
      });
    },
  }),
];
