/** What a socket may do after the handshake (append events, replay the log, ack a cursor), and the context it does it in. */
import { type EventFrame, MAX_PAYLOAD_BYTES, payloadBytes } from '../../core/schemas/events';
import { ReadyFrame } from '../../core/schemas/realtime';
import type { UserObject } from '../user';
import { appendInputOf } from '../user/events';
import type { DeviceRecord } from './connect';
import { passOwnEvent } from './deliver';
import { parseFrame } from './frames';
import { send } from './socket';
import type { DeviceStore } from './store';

/** A ready socket and what its frames act on: the device, its store, its user's actor. */
export interface SocketContext {
  ws: WebSocket;
  record: DeviceRecord;
  store: DeviceStore;
  user: DurableObjectStub<UserObject>;
  /** The device's sockets past the handshake. */
  sockets: () => WebSocket[];
}

async function append(context: SocketContext, frame: EventFrame): Promise<void> {
  const { ws, user, record } = context;
  if (payloadBytes(frame.payload) > MAX_PAYLOAD_BYTES) {
    send(ws, { type: 'error', id: frame.id, code: 'payload_too_large', message: 'A payload is at most 32 KiB.' });
    return;
  }
  const result = await user.appendEvent(appendInputOf(frame, record.deviceId));
  if (result.ok) {
    passOwnEvent(context.sockets(), result.value.seq);
    send(ws, { type: 'ack', ...result.value });
  } else if (result.error.type === 'conflict') {
    const { type: _, ...conflict } = result.error;
    send(ws, { type: 'conflict', ...conflict });
  } else if (result.error.type === 'quota_exceeded') {
    const message = 'The event log is full; delete or let events expire before appending more.';
    send(ws, { type: 'error', id: frame.id, code: 'quota_exceeded', message });
  } else {
    const message = 'expires_at is more than 5 minutes in the past.';
    send(ws, { type: 'error', id: frame.id, code: 'invalid_request', message });
  }
}

/** Handles one frame; a bad frame is answered with an error and the socket stays open. */
export async function handleFrame(context: SocketContext, message: string | ArrayBuffer): Promise<void> {
  const { ws, store, record } = context;
  const rate = store.hit(record.wsLimit);
  const frame = parseFrame(ReadyFrame, message);
  if (!rate.allowed) {
    const id = frame.ok && frame.value.type === 'event' ? frame.value.id : undefined;
    const text = `At most ${rate.limit} messages per ${record.wsLimit.window_s} s; retry in ${rate.reset} s.`;
    send(ws, { type: 'error', ...(id === undefined ? {} : { id }), code: 'rate_limited', message: text });
    return;
  }
  if (!frame.ok) {
    const { type: _, ...problem } = frame.error;
    send(ws, { type: 'error', ...problem });
    return;
  }
  const input = frame.value;
  if (input.type === 'event') return append(context, input);
  if (input.type === 'replay') {
    const id = input.id === undefined ? {} : { id: input.id };
    const result = await context.user.replayFrom(input.after, input.limit);
    if (result.ok) send(ws, { type: 'replay', ...result.value });
    else send(ws, { type: 'resync_required', ...id, horizon: result.error.horizon });
    return;
  }
  store.advanceCursor(input.seq);
}
