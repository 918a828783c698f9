/**
 * Step-up ("sudo mode") for sensitive changes: the session's last real authentication (sign-in
 * or step-up, never a refresh) is under 10 minutes old, or the request carries a proof: the
 * password, or a second factor when MFA is on. A proof counts in the lockouts, and a passed one
 * makes the session recent again, so the next sensitive change needs none.
 */
import { findUserById, type UserRow } from '../../core/db/users';
import type { StepUpProof } from '../../core/schemas/step-up';
import type { Principal, RequestContext, SignedInContext } from '../context';
import { ApiError } from '../errors';
import { userActor } from './actor';
import { audit } from './audit';
import { checkPassword } from './password-check';
import { requireSecondFactor } from './second-factor';

export const STEP_UP_MAX_AGE_MS = 10 * 60_000;

type Proof = 'password' | 'otp';

/** The proofs this account can give, in the order a client should offer them. */
export const proofsOf = (user: UserRow): Proof[] => [
  ...(user.passwordHash ? (['password'] as const) : []),
  ...(user.mfaEnabled ? (['otp'] as const) : []),
];

/** The one answer for a missing proof: 401 `reauth_required`, with the proofs that would do. */
export function reauthRequired(proofs: Proof[]): ApiError {
  const message = proofs.length
    ? 'This change needs a recent sign-in: send `reauth` with one of `proofs`.'
    : 'This change needs a recent sign-in: sign in again.';
  return new ApiError('reauth_required', message, {
    body: { proofs, max_age_s: STEP_UP_MAX_AGE_MS / 1000 },
  });
}

/** Whether the caller's session authenticated within the step-up window. */
const isRecent = (principal: Principal, now = Date.now()): boolean =>
  principal.authTime !== null && now - principal.authTime <= STEP_UP_MAX_AGE_MS;

/** The signed-in user behind a session; 403 for an API key, which never passes step-up. */
async function sessionUser(rc: RequestContext, principal: Principal, forbidden: string) {
  const sessionId = principal.sessionId;
  if (!sessionId) throw new ApiError('forbidden', forbidden);
  const user = await findUserById(rc.env.DB, principal.userId);
  if (!user) throw new ApiError('unauthorized');
  return { user, sessionId };
}

const NOT_A_SESSION = 'This change needs a signed-in session, not an API key.';

/**
 * Lets a sensitive change through, or throws: 403 for an API key, 401 `reauth_required` for a
 * missing or unusable proof, 403 for a wrong one, 423 once a lockout holds.
 */
export async function requireStepUp(rc: SignedInContext, proof: StepUpProof | undefined): Promise<UserRow> {
  const { user, sessionId } = await sessionUser(rc, rc.principal, NOT_A_SESSION);
  if (!isRecent(rc.principal)) await proveAndMark(rc, user, sessionId, proof);
  return user;
}

/**
 * Like `requireStepUp`, but a recent session is not enough when the account has a password or
 * a second factor: the request itself must carry the proof. For a change that hands the
 * account over (its email), which a token stolen in the first minutes after a sign-in must not
 * be able to make. An account with neither (provider sign-in only) passes on a recent session.
 */
export async function requireProofNow(rc: SignedInContext, proof: StepUpProof | undefined): Promise<UserRow> {
  const { user, sessionId } = await sessionUser(rc, rc.principal, NOT_A_SESSION);
  if (user.passwordHash || user.mfaEnabled) await proveAndMark(rc, user, sessionId, proof);
  else if (!isRecent(rc.principal)) throw reauthRequired([]);
  return user;
}

/**
 * Proves the caller now, however recent the session: `POST /v1/auth/reauth`, before a link
 * flow (a GET from a browser, which carries no body).
 */
export async function stepUpNow(rc: SignedInContext, proof: StepUpProof): Promise<void> {
  const { user, sessionId } = await sessionUser(rc, rc.principal, NOT_A_SESSION);
  await proveAndMark(rc, user, sessionId, proof);
}

/** Checks the proof, then marks the session (and this request) freshly authenticated. */
async function proveAndMark(
  rc: SignedInContext,
  user: UserRow,
  sessionId: string,
  proof: StepUpProof | undefined,
): Promise<void> {
  const method = await proveNow(rc, user, proof);
  const marked = await userActor(rc, user.id).stepUp(sessionId, method);
  if (!marked.ok) throw new ApiError('unauthorized', 'The session has ended.');
  await audit(rc, user.id, 'reauthenticated', { method, session_id: sessionId });
  rc.principal.authTime = Date.now();
}

/**
 * A link flow attaches a new way in, so a password account must have proved its password
 * recently (sign-in or step-up) in this session; an account without one, any recent sign-in.
 */
export async function requireLinkProof(rc: RequestContext, principal: Principal): Promise<void> {
  const { user } = await sessionUser(rc, principal, 'Linking a provider needs a signed-in session.');
  const proved = isRecent(principal) && (!user.passwordHash || principal.amr.includes('pwd'));
  if (!proved) throw reauthRequired(user.passwordHash ? ['password'] : []);
}

async function proveNow(rc: RequestContext, user: UserRow, proof: StepUpProof | undefined): Promise<'pwd' | 'otp'> {
  if (proof?.password !== undefined && user.passwordHash) {
    await checkPassword(rc, user, proof.password, 'reauth.password');
    return 'pwd';
  }
  if (proof?.code !== undefined && user.mfaEnabled) {
    await requireSecondFactor(rc, user.id, proof.code, { allowBackup: true, field: 'reauth.code' });
    return 'otp';
  }
  throw reauthRequired(proofsOf(user));
}
