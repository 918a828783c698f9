/**
 * Events sent and not yet answered, by id, saved in the store before they go out. They are
 * sent again after every reconnect (and after a restart, from the store): the server acks a
 * retried id with its first seq, so nothing is appended twice.
 */
import type { Ack, ClientFrame, Conflict, OutgoingEvent } from './protocol.ts';
import type { OutboxStore } from './store.ts';

type EventFrame = Extract<ClientFrame, { type: 'event' }>;

interface Waiter {
  resolve: (answer: Ack | Conflict) => void;
  reject: (error: unknown) => void;
}

export class Outbox {
  private readonly pending = new Map<string, { frame: EventFrame; waiters: Waiter[] }>();
  /** Store writes, one after another, so the store sees them in send order. */
  private saving: Promise<void> = Promise.resolve();

  private readonly store: OutboxStore;

  constructor(store: OutboxStore) {
    this.store = store;
  }

  /** Takes in what the store kept from an earlier run; returns the cursor it kept. */
  async restore(): Promise<number | null> {
    const saved = await this.store.load();
    for (const event of saved.pending) {
      if (!this.pending.has(event.id)) this.pending.set(event.id, { frame: { type: 'event', ...event }, waiters: [] });
    }
    return saved.cursor;
  }

  /** Keeps the event, saves it, then calls `saved` with its frame; the promise settles with the answer. */
  add(event: OutgoingEvent, saved: (frame: EventFrame) => void): Promise<Ack | Conflict> {
    return new Promise((resolve, reject) => {
      const known = this.pending.get(event.id);
      if (known) {
        known.waiters.push({ resolve, reject });
        return;
      }
      const frame: EventFrame = { type: 'event', ...event };
      this.pending.set(event.id, { frame, waiters: [{ resolve, reject }] });
      this.chain(async () => {
        try {
          await this.store.put(event);
        } catch (error) {
          this.settle(event.id, (waiter) => waiter.reject(error));
          return;
        }
        if (this.pending.has(event.id)) saved(frame);
      });
    });
  }

  frames(): EventFrame[] {
    return [...this.pending.values()].map((p) => p.frame);
  }

  frame(id: string): EventFrame | undefined {
    return this.pending.get(id)?.frame;
  }

  /** A refusal for now (`rate_limited`): `send` gets the frame again after `ms`, if it is still unanswered. */
  sendAgainAfter(id: string, ms: number, send: (frame: EventFrame) => void): void {
    const frame = this.frame(id);
    if (!frame) return;
    setTimeout(() => {
      if (this.frame(id) === frame) send(frame);
    }, ms);
  }

  answer(id: string, answer: Ack | Conflict): void {
    this.settle(id, (waiter) => waiter.resolve(answer));
  }

  refuse(id: string, error: unknown): void {
    this.settle(id, (waiter) => waiter.reject(error));
  }

  /** The client is closed: every waiting `send` fails, and the store keeps the events for the next start. */
  refuseAll(error: unknown): void {
    for (const pending of this.pending.values()) for (const waiter of pending.waiters) waiter.reject(error);
    this.pending.clear();
  }

  saveCursor(seq: number): void {
    this.chain(() => this.store.setCursor(seq));
  }

  private settle(id: string, how: (waiter: Waiter) => void): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    for (const waiter of pending.waiters) how(waiter);
    this.chain(() => this.store.remove(id));
  }

  private chain(step: () => Promise<void>): void {
    // A failed write must not stop the ones after it; a lost removal only means one more (idempotent) resend.
    this.saving = this.saving.then(step).catch(() => undefined);
  }
}
