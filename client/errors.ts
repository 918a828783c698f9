/** The realtime client's one error: a refused event, a closed client, or a policy close. */
import type { ErrorCode } from './protocol.ts';

export class RealtimeError extends Error {
  override name = 'RealtimeError';
  /** The server's error code; `closed` once the client is closed; `policy` for a 1008 close (revoked device, failed handshake). */
  readonly code: ErrorCode | 'closed' | 'policy';

  constructor(code: ErrorCode | 'closed' | 'policy', message: string) {
    super(message);
    this.code = code;
  }
}
