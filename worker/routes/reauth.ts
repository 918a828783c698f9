/** Step-up on its own: prove the password or a second factor now, before a sensitive change (DESIGN.md §3). */
import { ReauthRequiredOut, StepUpProof } from '../../core/schemas/step-up';
import { stepUpNow } from '../auth/step-up';
import { invalidField } from '../errors';
import { noContent, route } from '../route';

export const reauthRoutes = [
  route({
    method: 'POST',
    path: '/v1/auth/reauth',
    summary: 'Prove it is you again (password, or a code with MFA on): the next 10 minutes need no other proof',
    tag: 'Auth',
    access: 'user',
    scope: 'account',
    body: StepUpProof,
    responses: {
      204: { description: 'The session counts as freshly signed in for 10 minutes.' },
      401: { description: '`reauth_required`: the proof is of a kind this account lacks.', schema: ReauthRequiredOut },
      403: { description: 'The password or code is wrong.' },
      423: { description: 'Locked after repeated wrong proofs, as sign-ins are.' },
    },
    async handle({ rc, body }) {
      if (body.password === undefined && body.code === undefined) {
        throw invalidField('password', 'password or code is required');
      }
      await stepUpNow(rc, body);
      return noContent();
    },
  }),
];
