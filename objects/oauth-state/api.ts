/**
 * The Worker's view of OAuthStateObject: the flow it stores and how long it keeps it. The
 * actor implements this contract; the Worker imports it from here and nothing else from the
 * actor.
 */

/** How long a started flow can be finished: the actor forgets it after this. */
export const OAUTH_STATE_TTL_MS = 10 * 60_000;

/** One flow, as `start` saw it. */
export interface PendingFlow {
  provider: string;
  verifier: string;
  nonce: string;
  redirectTo: string;
  /** The exact `redirect_uri` sent to the provider, which the token request must repeat. */
  callbackUrl: string;
  intent: 'login' | 'link';
  mode: 'cookie' | 'body';
  /** The signed-in user a `link` flow attaches the identity to. */
  userId: string | null;
  /** The session that started a `link` flow: it must still be live at the callback. */
  sessionId: string | null;
  /** SHA-256 of the `__Host-oauth_flow` cookie the starting browser got. */
  browserHash: string;
}
