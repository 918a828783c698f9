/** The signed-in user's sessions: list and revoke. */
import { SessionParams, SessionsOut } from '../../core/schemas/auth';
import { userActor } from '../auth/actor';
import { audit } from '../auth/audit';
import { ApiError } from '../errors';
import { validate } from '../http/body';
import { noContent, route } from '../route';

export const sessionRoutes = [
  route({
    method: 'GET',
    path: '/v1/auth/sessions',
    summary: 'List live sessions',
    tag: 'Auth',
    access: 'user',
    scope: 'account',
    responses: {
      200: { description: 'Live sessions, newest first; `current` marks the caller.', schema: SessionsOut },
    },
    async handle({ rc, reply }) {
      const sessions = await userActor(rc, rc.principal.userId).listSessions(rc.principal.sessionId);
      return reply(200, { sessions });
    },
  }),
  route({
    method: 'DELETE',
    path: '/v1/auth/sessions/:id',
    summary: 'Revoke one session',
    tag: 'Auth',
    access: 'user',
    scope: 'account',
    responses: {
      204: { description: 'Revoked; its tokens stop working at once.' },
      404: { description: 'No live session of yours has this id.' },
    },
    async handle({ rc, params }) {
      const { id } = validate(SessionParams, params);
      const userId = rc.principal.userId;
      const result = await userActor(rc, userId).revokeSession(id);
      if (!result.ok) throw new ApiError('not_found', 'No such session.');
      await audit(rc, userId, 'session_revoked', { session_id: id });
      return noContent();
    },
  }),
];
