/**
 * Resuming after a (re)connect: the log is replayed page by page from the last seq taken in,
 * while live events wait in a buffer. The buffer is handed on only once a replay reaches the
 * end of the log (`next_after: null`); a replay cut short drops it, so the position never
 * passes a gap and the next connection replays again. A refused page is asked again after
 * `retry_after`; a replay below the compaction horizon loads the snapshot and goes on after
 * its head.
 */
import { RealtimeError } from './errors.ts';
import type { Inbox } from './inbox.ts';
import type { ClientFrame, RealtimeEvent, ServerFrame, SnapshotItem, SnapshotPage } from './protocol.ts';

type Answer = Extract<ServerFrame, { type: 'replay' } | { type: 'resync_required' }>;
type ErrorFrame = Extract<ServerFrame, { type: 'error' }>;

export interface SnapshotOptions {
  /** Loads one page of GET /v1/events/snapshot (`cursor` null for the first). */
  fetchSnapshot?: (cursor: string | null) => Promise<SnapshotPage>;
  /** Called with each page's items, in order, before the replay goes on after the snapshot's head. */
  onSnapshot?: (items: SnapshotItem[], head: number) => void | Promise<void>;
}

/** What a resume needs of the connection: sending a frame, and whether `socket` is still the current one. */
export interface ReplayHost {
  transmit(frame: ClientFrame): void;
  isCurrent(socket: unknown): boolean;
}

const PAGE = 500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Replayer {
  private waiter: {
    id: string;
    resolve: (answer: Answer) => void;
    reject: (error: ErrorFrame | RealtimeError) => void;
  } | null = null;
  private counter = 0;
  private buffer: RealtimeEvent[] | null = null;

  private readonly host: ReplayHost;
  private readonly inbox: Inbox;
  private readonly snapshot: SnapshotOptions;

  constructor(host: ReplayHost, inbox: Inbox, snapshot: SnapshotOptions) {
    this.host = host;
    this.inbox = inbox;
    this.snapshot = snapshot;
  }

  /** A live event: taken in at once, or buffered while a replay runs. */
  live(event: RealtimeEvent): void {
    if (this.buffer) this.buffer.push(event);
    else this.inbox.accept(event);
  }

  answer(frame: Answer): void {
    if (!this.waiter || (frame.type === 'replay' && frame.id !== this.waiter.id)) return;
    this.waiter.resolve(frame);
    this.waiter = null;
  }

  /** An error frame: true when it refused the pending replay request. */
  refused(frame: ErrorFrame): boolean {
    if (!this.waiter || frame.id !== this.waiter.id) return false;
    this.waiter.reject(frame);
    this.waiter = null;
    return true;
  }

  /** The socket closed: the pending request will never be answered. */
  cancel(): void {
    this.waiter?.reject(new RealtimeError('closed', 'The socket closed.'));
    this.waiter = null;
  }

  /**
   * Replays until the end of the log; true when it got there on `socket`. The first request is
   * sent before this returns its promise, so it goes out ahead of anything sent after the call.
   */
  async resume(socket: unknown): Promise<boolean> {
    const buffer: RealtimeEvent[] = [];
    this.buffer = buffer;
    let complete = false;
    try {
      let after: number | null = this.inbox.received;
      while (after !== null && this.host.isCurrent(socket)) {
        const answer = await this.page(socket, after);
        if (answer.type === 'resync_required') {
          after = await this.resync();
          continue;
        }
        for (const event of answer.events) this.inbox.accept(event);
        after = answer.next_after;
      }
      complete = after === null && this.host.isCurrent(socket);
    } catch (error) {
      if (error instanceof RealtimeError && error.code === 'resync_required') throw error;
    } finally {
      if (this.buffer === buffer) this.buffer = null;
    }
    if (!complete) return false;
    for (const event of buffer.sort((a, b) => a.seq - b.seq)) this.inbox.accept(event);
    return true;
  }

  /** One page; asked again after `retry_after` while it is refused as `rate_limited`. */
  private async page(socket: unknown, after: number): Promise<Answer> {
    for (;;) {
      try {
        return await this.request(after);
      } catch (error) {
        const frame = error as ErrorFrame;
        if (frame.type !== 'error' || frame.code !== 'rate_limited' || !this.host.isCurrent(socket)) throw error;
        await sleep((frame.retry_after ?? 1) * 1000);
        if (!this.host.isCurrent(socket)) throw error;
      }
    }
  }

  private request(after: number): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const id = `replay-${++this.counter}`;
      this.waiter = { id, resolve, reject };
      this.host.transmit({ type: 'replay', id, after, limit: PAGE });
    });
  }

  /** Loads every snapshot page, hands the items on, and returns the head to replay after. */
  private async resync(): Promise<number> {
    const { fetchSnapshot, onSnapshot } = this.snapshot;
    if (!fetchSnapshot) {
      throw new RealtimeError(
        'resync_required',
        'The log was compacted past this device’s position; a snapshot is needed.',
      );
    }
    let cursor: string | null = null;
    let head: number | null = null;
    do {
      const page: SnapshotPage = await fetchSnapshot(cursor);
      // The first page's head: events after it are replayed, so later writes are not missed.
      head ??= page.head;
      await onSnapshot?.(page.items, page.head);
      cursor = page.next_cursor;
    } while (cursor !== null);
    this.inbox.skipTo(head);
    return head;
  }
}
