/**
 * Relayed events go out on each ready socket in seq order. Relays can arrive out of order, and
 * the device's own events are never relayed back to it, so a socket that would skip seqs is
 * first sent the missing events, read back from the user's log.
 */
import { type EventOut, REPLAY_MAX, type ReplayOut } from '../../core/schemas/events';
import { markSent, send, stateOf } from './socket';

export type ReadLog = (after: number, limit: number) => Promise<ReplayOut>;

/** Events in (after, before), oldest first; expired ones are left out by the log. */
async function readBetween(read: ReadLog, after: number, before: number): Promise<EventOut[]> {
  const events: EventOut[] = [];
  let cursor: number | null = after;
  while (cursor !== null && cursor < before - 1) {
    const page = await read(cursor, REPLAY_MAX);
    events.push(...page.events.filter((e) => e.seq < before));
    cursor = page.next_after;
  }
  return events;
}

const sentOf = (ws: WebSocket): number | null => {
  const state = stateOf(ws);
  return state.phase === 'ready' ? state.sent : null;
};

/** Sends `events` (in seq order) on each socket past its own `sent` mark, but not the device's own. */
function sendAfterMarks(sockets: WebSocket[], deviceId: string, events: EventOut[]): void {
  for (const ws of sockets) {
    const before = sentOf(ws);
    if (before === null) continue;
    let sent = before;
    for (const event of events) {
      if (event.seq <= sent) continue;
      if (event.device_id !== deviceId) send(ws, { type: 'event', ...event });
      sent = event.seq;
    }
    if (sent !== before) markSent(ws, sent);
  }
}

/** Sends what each socket is missing up to `upTo` (a relay it was not ready for), read from the log. */
export async function catchUp(
  sockets: () => WebSocket[],
  deviceId: string,
  upTo: number,
  read: ReadLog,
): Promise<void> {
  const marks = sockets()
    .map(sentOf)
    .filter((sent): sent is number => sent !== null && sent < upTo);
  if (marks.length === 0) return;
  sendAfterMarks(sockets(), deviceId, await readBetween(read, Math.min(...marks), upTo + 1));
}

export async function deliverInOrder(
  sockets: () => WebSocket[],
  deviceId: string,
  event: EventOut,
  read: ReadLog,
): Promise<void> {
  const marks = sockets()
    .map(sentOf)
    .filter((sent): sent is number => sent !== null && sent < event.seq - 1);
  const missing = marks.length > 0 ? await readBetween(read, Math.min(...marks), event.seq) : [];
  // Sockets are read again: others may have moved on while the log was read.
  sendAfterMarks(sockets(), deviceId, [...missing, event]);
}

/** The device's own event was acked as `seq`: sockets right behind it move past it. */
export function passOwnEvent(sockets: WebSocket[], seq: number): void {
  for (const ws of sockets) if (sentOf(ws) === seq - 1) markSent(ws, seq);
}
