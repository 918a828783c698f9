/**
 * Where the client keeps what must survive a restart: events sent and not yet answered (in
 * send order), and the cursor it last acked. An app that crashes after `send()` resends them on
 * its next start with the same ids, which the server acks once.
 */
import type { OutgoingEvent } from './protocol.ts';

export interface SavedState {
  pending: OutgoingEvent[];
  /** The last seq acked, or null before the first. */
  cursor: number | null;
}

/** A pluggable store: `memoryOutboxStore()` (default), `indexedDbOutboxStore()` in browsers, `fileOutboxStore()` in Node. */
export interface OutboxStore {
  load(): Promise<SavedState>;
  put(event: OutgoingEvent): Promise<void>;
  remove(id: string): Promise<void>;
  setCursor(seq: number): Promise<void>;
}

/** Keeps nothing across restarts: the default. */
export function memoryOutboxStore(): OutboxStore {
  const pending = new Map<string, OutgoingEvent>();
  let cursor: number | null = null;
  return {
    load: async () => ({ pending: [...pending.values()], cursor }),
    put: async (event) => void pending.set(event.id, event),
    remove: async (id) => void pending.delete(id),
    setCursor: async (seq) => {
      cursor = seq;
    },
  };
}
