/** Per-socket state, kept in the socket's attachment so it survives hibernation. */
import type { ServerFrame } from '../../core/schemas/realtime';

export const HANDSHAKE_MS = 10_000;

export type SocketState =
  | { phase: 'hello'; deadline: number }
  | { phase: 'challenge'; deadline: number; clientNonce: string; serverNonce: string }
  /**
   * `sent`: the last seq relayed on this socket; null while the actor is still learning the head.
   * `since`: when it became ready (ms), the first sign of life before any ping.
   */
  | { phase: 'ready'; sent: number | null; since: number };

/** A socket with no attachment has not said hello and is overdue. */
export const stateOf = (ws: WebSocket): SocketState =>
  (ws.deserializeAttachment() as SocketState | null) ?? { phase: 'hello', deadline: 0 };

/** Sets the socket's state; the request id of its upgrade stays in the attachment beside it. */
export function setState(ws: WebSocket, state: SocketState, requestId = requestIdOf(ws)): void {
  ws.serializeAttachment(requestId ? { ...state, requestId } : state);
}

/** The request id of the upgrade that opened the socket (for log lines and error reports). */
export const requestIdOf = (ws: WebSocket): string | null =>
  (ws.deserializeAttachment() as { requestId?: string } | null)?.requestId ?? null;

/** Records the last seq relayed on a ready socket (one read of its attachment, the request id kept). */
export function markSent(ws: WebSocket, sent: number): void {
  const attachment = ws.deserializeAttachment() as (SocketState & { requestId?: string }) | null;
  if (attachment?.phase === 'ready') ws.serializeAttachment({ ...attachment, sent });
}

/** A ready socket with no `ping` answered for this long is taken as gone (three of the SDK's 25 s pings). */
export const STALE_MS = 75_000;

/** When a ready socket last showed life: its last auto-answered `ping`, else when it became ready. */
export function lastSign(
  ws: WebSocket,
  state: Extract<SocketState, { phase: 'ready' }>,
  ctx: DurableObjectState,
): number {
  return Math.max(state.since, ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0);
}

/** Sends a frame; a socket that closed meanwhile is skipped. */
export function send(ws: WebSocket, frame: ServerFrame): void {
  if (ws.readyState !== WebSocket.OPEN) return;
  ws.send(JSON.stringify(frame));
}

/** Closes with a code and reason, unless the socket is already closing. */
export function refuse(ws: WebSocket, reason: string): void {
  if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1008, reason);
}

/** The sockets past the handshake, but `except`. */
export const readySockets = (all: WebSocket[], except?: WebSocket): WebSocket[] =>
  all.filter((ws) => ws !== except && ws.readyState === WebSocket.OPEN && stateOf(ws).phase === 'ready');

/** Codes a close frame may carry (1005, 1006 and 1015 are only reported, never sent). */
const sendable = (code: number): boolean =>
  code === 1000 || (code >= 1001 && code <= 1014 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);

/** Answers the client's close with the same code and reason. */
export function echoClose(ws: WebSocket, code: number, reason: string): void {
  if (ws.readyState !== WebSocket.OPEN && ws.readyState !== WebSocket.CLOSING) return;
  try {
    if (sendable(code)) ws.close(code, reason);
    else ws.close();
  } catch {
    // Already closed by the runtime: nothing left to answer.
  }
}
