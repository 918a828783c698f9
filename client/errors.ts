/** The realtime client's one error: a refused event, a closed client, or a connection that gave up. */
import type { ErrorCode } from './protocol.ts';

/**
 * - a server `ErrorCode` for a refused `send` (`conflict`: the id was used for another event;
 *   `quota_exceeded`: the user's log is full);
 * - `closed`: the client was closed; `policy`: the server closed with 1008 (revoked or unknown
 *   device, bad signature), the message is its reason;
 * - `timeout`: not ready within `connectTimeoutMs`; `unreachable`: `maxAttempts` failed in a row;
 * - `resync_required`: the log was compacted past the resume point and no `fetchSnapshot` was given.
 */
export type RealtimeErrorCode = ErrorCode | 'closed' | 'policy' | 'timeout' | 'unreachable' | 'resync_required';

export class RealtimeError extends Error {
  override name = 'RealtimeError';
  readonly code: RealtimeErrorCode;

  constructor(code: RealtimeErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
