/** What a socket may do after the handshake: append events, replay the log, ack a cursor. */
import { type EventFrame, MAX_PAYLOAD_BYTES, payloadBytes } from '../../core/schemas/events';
import { ReadyFrame } from '../../core/schemas/realtime';
import type { UserObject } from '../user';
import type { DeviceRecord } from './connect';
import { passOwnEvent } from './deliver';
import { parseFrame } from './frames';
import { send } from './socket';
import type { DeviceStore } from './store';

export interface Session {
  ws: WebSocket;
  record: DeviceRecord;
  store: DeviceStore;
  user: DurableObjectStub<UserObject>;
  /** The device's sockets past the handshake. */
  sockets: () => WebSocket[];
}

async function append(session: Session, frame: EventFrame): Promise<void> {
  const { ws, user, record } = session;
  if (payloadBytes(frame.payload) > MAX_PAYLOAD_BYTES) {
    send(ws, { type: 'error', id: frame.id, code: 'payload_too_large', message: 'A payload is at most 32 KiB.' });
    return;
  }
  const result = await user.appendEvent({
    id: frame.id,
    stream: frame.stream,
    key: frame.key ?? null,
    baseVersion: frame.base_version ?? null,
    payload: frame.payload,
    expiresAt: frame.expires_at === undefined ? null : Date.parse(frame.expires_at),
    deviceId: record.deviceId,
  });
  if (result.ok) {
    passOwnEvent(session.sockets(), result.value.seq);
    send(ws, { type: 'ack', ...result.value });
  } else if (result.error.type === 'conflict') {
    const { type: _, ...conflict } = result.error;
    send(ws, { type: 'conflict', ...conflict });
  } else {
    const message = 'expires_at is more than 5 minutes in the past.';
    send(ws, { type: 'error', id: frame.id, code: 'invalid_request', message });
  }
}

/** Handles one frame; a bad frame is answered with an error and the socket stays open. */
export async function handleFrame(session: Session, message: string | ArrayBuffer): Promise<void> {
  const { ws, store, record } = session;
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
  if (input.type === 'event') return append(session, input);
  if (input.type === 'replay') {
    send(ws, { type: 'replay', ...(await session.user.replayEvents(input.after, input.limit)) });
    return;
  }
  store.advanceCursor(input.seq);
}
