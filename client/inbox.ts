/**
 * Hands events to the app once each, in seq order. Replayed and live events meet here:
 * anything at or below the highest seq already taken is a duplicate, and events of this device
 * (by `device_id`, so also those sent before a restart) are left out. What the app has finished
 * with is the position to ack.
 */
import type { RealtimeEvent } from './protocol.ts';

type Waiter = { resolve: (result: IteratorResult<RealtimeEvent>) => void; reject: (error: unknown) => void };

export class Inbox {
  /** The highest seq taken in: where a replay resumes. */
  received: number;
  /** The highest seq the app has finished with: what is acked. */
  processed: number;
  private readonly queue: RealtimeEvent[] = [];
  private waiter: Waiter | null = null;
  private lastYielded: number | null = null;
  private ended: { error: unknown } | null = null;
  private pumping = false;

  private readonly deviceId: string;
  private readonly onProcessed: (seq: number) => void;
  private readonly handler: ((event: RealtimeEvent) => void | Promise<void>) | undefined;

  constructor(
    deviceId: string,
    after: number,
    onProcessed: (seq: number) => void,
    handler?: (event: RealtimeEvent) => void | Promise<void>,
  ) {
    this.deviceId = deviceId;
    this.received = after;
    this.processed = after;
    this.onProcessed = onProcessed;
    this.handler = handler;
  }

  /** Moves the starting point forward, before anything has been taken in. */
  startAt(seq: number): void {
    if (seq <= this.received || this.queue.length > 0 || this.lastYielded !== null) return;
    this.received = seq;
    this.processed = seq;
  }

  /** Takes an event in unless it is a duplicate or the device's own. */
  accept(event: RealtimeEvent): void {
    if (this.ended || event.seq <= this.received) return;
    this.received = event.seq;
    if (event.device_id === this.deviceId) {
      // Nothing is waiting before it: the app is finished with everything up to here.
      if (this.queue.length === 0 && this.lastYielded === null && !this.pumping) this.done(event.seq);
      return;
    }
    if (this.waiter) {
      const waiter = this.waiter;
      this.waiter = null;
      this.lastYielded = event.seq;
      waiter.resolve({ value: event, done: false });
      return;
    }
    this.queue.push(event);
    if (this.handler) void this.pump();
  }

  /** A snapshot up to `head` was handed to the app: resume after it, and ack it. */
  skipTo(head: number): void {
    if (head > this.received) this.received = head;
    this.done(head);
  }

  private done(seq: number): void {
    if (seq <= this.processed) return;
    this.processed = seq;
    this.onProcessed(seq);
  }

  private async pump(): Promise<void> {
    if (this.pumping || !this.handler) return;
    this.pumping = true;
    try {
      for (let event = this.queue.shift(); event && !this.ended; event = this.queue.shift()) {
        await this.handler(event);
        this.done(event.seq);
      }
    } finally {
      this.pumping = false;
    }
  }

  /** The iterator's step: asking for the next event means the previous one is finished. */
  next(): Promise<IteratorResult<RealtimeEvent>> {
    if (this.lastYielded !== null) this.done(this.lastYielded);
    this.lastYielded = null;
    const event = this.queue.shift();
    if (event) {
      this.lastYielded = event.seq;
      return Promise.resolve({ value: event, done: false });
    }
    if (this.ended) {
      return this.ended.error ? Promise.reject(this.ended.error) : Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** No more events: the iterator finishes, or throws `error`. */
  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = { error };
    const waiter = this.waiter;
    this.waiter = null;
    if (!waiter) return;
    if (error) waiter.reject(error);
    else waiter.resolve({ value: undefined, done: true });
  }
}
