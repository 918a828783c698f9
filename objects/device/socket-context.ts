/** What a socket may do after the handshake (append events, replay the log, ack a cursor), and the context it does it in. */
import type { Decision, Window } from '../../core/rate-limit';
import { type EventFrame, MAX_PAYLOAD_BYTES, payloadBytes } from '../../core/schemas/events';
import { ReadyFrame, type ServerFrame } from '../../core/schemas/realtime';
import type { UserObject } from '../user';
import { appendInputOf } from '../user/events';
import type { DeviceRecord } from './connect';
import { passOwnEvent } from './deliver';
import { parseFrame } from './frames';
import { requestIdOf, send } from './socket';
import type { DeviceStore } from './store';

/** A ready socket and what its frames act on: the device, its store, its user's actor. */
export interface SocketContext {
  ws: WebSocket;
  record: DeviceRecord;
  store: DeviceStore;
  user: DurableObjectStub<UserObject>;
  /** The device's sockets past the handshake. */
  sockets: () => WebSocket[];
  /** Counts one frame against the device's limit. */
  hit: (window: Window) => Decision;
  /** A frame's handling failed: logged and reported (the client gets an `internal` error). */
  reportFailure: (error: unknown) => void;
}

type ErrorFrame = Extract<ServerFrame, { type: 'error' }>;

/** An error frame about the frame with `id` (when it had one), so the client can tell what was refused. */
const refusal = (id: string | undefined, code: ErrorFrame['code'], message: string): ErrorFrame => ({
  type: 'error',
  ...(id === undefined ? {} : { id }),
  code,
  message,
});

async function append(context: SocketContext, frame: EventFrame): Promise<void> {
  const { ws, user, record } = context;
  if (payloadBytes(frame.payload) > MAX_PAYLOAD_BYTES) {
    send(ws, refusal(frame.id, 'payload_too_large', 'A payload is at most 32 KiB.'));
    return;
  }
  const result = await user.appendEvent(appendInputOf(frame, record.deviceId, requestIdOf(ws)));
  if (result.ok) {
    passOwnEvent(context.sockets(), result.value.seq);
    send(ws, { type: 'ack', ...result.value });
  } else if (result.error.type === 'conflict') {
    const { type: _, ...conflict } = result.error;
    send(ws, { type: 'conflict', ...conflict });
  } else if (result.error.type === 'quota_exceeded') {
    const message = 'The event log is full; delete or let events expire before appending more.';
    send(ws, refusal(frame.id, 'quota_exceeded', message));
  } else if (result.error.type === 'id_reused') {
    send(ws, refusal(frame.id, 'conflict', 'This id was used for a different event.'));
  } else {
    send(ws, refusal(frame.id, 'invalid_request', 'expires_at is more than 5 minutes in the past.'));
  }
}

async function act(context: SocketContext, input: ReadyFrame): Promise<void> {
  if (input.type === 'event') return append(context, input);
  if (input.type === 'replay') {
    const id = input.id === undefined ? {} : { id: input.id };
    const result = await context.user.replayFrom(input.after, input.limit);
    if (result.ok) send(context.ws, { type: 'replay', ...id, ...result.value });
    else send(context.ws, { type: 'resync_required', ...id, horizon: result.error.horizon });
    return;
  }
  context.store.advanceCursor(input.seq);
}

/** Handles one frame; a bad frame is answered with an error (carrying the frame's id) and the socket stays open. */
export async function handleFrame(context: SocketContext, message: string | ArrayBuffer): Promise<void> {
  const { ws, record } = context;
  const rate = context.hit(record.wsLimit);
  const frame = parseFrame(ReadyFrame, message);
  const id = frame.ok ? (frame.value.type === 'ack' ? undefined : frame.value.id) : frame.error.id;
  if (!rate.allowed) {
    const text = `At most ${rate.limit} messages per ${record.wsLimit.window_s} s; retry in ${rate.reset} s.`;
    send(ws, { ...refusal(id, 'rate_limited', text), retry_after: rate.reset });
    return;
  }
  if (!frame.ok) {
    send(ws, refusal(id, frame.error.code, frame.error.message));
    return;
  }
  try {
    await act(context, frame.value);
  } catch (error) {
    context.reportFailure(error);
    send(ws, refusal(id, 'internal', 'Something went wrong.'));
  }
}
