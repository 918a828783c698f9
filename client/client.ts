/**
 * The realtime client: connects a registered device, runs the signed handshake, resumes from
 * the last seq it took in, and reconnects with jittered backoff. Events reach the app once
 * each, in seq order, through `onEvent` or `events()`, never its own; what the app has finished
 * with is acked so that another process of the same device resumes from there.
 */
import { Acks } from './acks.ts';
import { Attempts } from './attempts.ts';
import { RealtimeError } from './errors.ts';
import { Inbox } from './inbox.ts';
import { KeepAlive } from './keepalive.ts';
import { newNonce, signHandshake } from './keys.ts';
import type { RealtimeClientOptions, Status } from './options.ts';
import { Outbox } from './outbox.ts';
import type { Ack, ClientFrame, Conflict, OutgoingEvent, RealtimeEvent, ServerFrame } from './protocol.ts';
import { Replayer } from './replay.ts';
import { platformSocket, type SocketLike, socketUrl, whenOpen } from './socket.ts';
import { memoryOutboxStore } from './store.ts';

const POLICY_VIOLATION = 1008;

export class RealtimeClient {
  /** The signed-in user, once ready. */
  userId: string | null = null;
  private socket: SocketLike | null = null;
  private ready = false;
  private stopped = false;
  private readonly attempts: Attempts;
  private connectTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly inbox: Inbox;
  private readonly outbox: Outbox;
  private readonly replayer: Replayer;
  /** Whether the resume point is known: given as `after`, kept by the store, or learnt from the first `ready`. */
  private positioned: boolean;
  private readonly acks: Acks;
  private readonly keepAlive: KeepAlive;
  private firstReady: { resolve: () => void; reject: (error: unknown) => void } | null = null;
  private connecting: Promise<void> | null = null;

  private readonly options: RealtimeClientOptions;

  constructor(options: RealtimeClientOptions) {
    this.options = options;
    this.positioned = options.after !== undefined;
    this.acks = new Acks(options.after ?? 0, options.ackDelayMs ?? 250, (seq) => this.sendAck(seq));
    this.keepAlive = new KeepAlive(options.pingIntervalMs ?? 25_000);
    this.attempts = new Attempts(options.maxAttempts, options.backoff, options.random);
    this.inbox = new Inbox(
      options.deviceId,
      this.acks.acked,
      () => this.acks.schedule(() => this.position),
      options.onEvent,
    );
    this.outbox = new Outbox(options.store ?? memoryOutboxStore());
    this.replayer = new Replayer(
      { transmit: (frame) => this.transmit(frame), isCurrent: (socket) => this.ready && socket === this.socket },
      this.inbox,
      options,
    );
  }

  /**
   * Connects; resolves at the first `ready` and keeps reconnecting after that until `close()`.
   * Rejects, and stops the client, on a policy close (code `policy`), after `maxAttempts`
   * (`unreachable`) or `connectTimeoutMs` (`timeout`).
   */
  connect(): Promise<void> {
    if (this.stopped) return Promise.reject(new RealtimeError('closed', 'The client is closed.'));
    // A second call gets the first one's answer: one client, one connection.
    this.connecting ??= new Promise((resolve, reject) => {
      this.firstReady = { resolve, reject };
      const timeout = this.options.connectTimeoutMs ?? 30_000;
      if (Number.isFinite(timeout)) {
        this.connectTimer = setTimeout(
          () => this.giveUp(new RealtimeError('timeout', 'Not connected in time.')),
          timeout,
        );
      }
      void this.start();
    });
    return this.connecting;
  }

  /** Skips the backoff wait and tries at once (for example on the browser's `online` event). */
  reconnectNow(): void {
    if (!this.stopped) this.attempts.now();
  }

  /** The highest seq handed to the app and finished with. */
  get position(): number {
    return this.inbox.processed;
  }

  /**
   * Appends an event; resolves with its ack (or a conflict), rejects with a RealtimeError whose
   * code says why it was refused. Kept in the store until answered and sent again with the
   * same id after a reconnect or a restart; a `rate_limited` refusal is retried after `retry_after`.
   */
  send(event: OutgoingEvent): Promise<Ack | Conflict> {
    if (this.stopped) return Promise.reject(new RealtimeError('closed', 'The client is closed.'));
    return this.outbox.add(event, (frame) => {
      if (this.ready) this.transmit(frame);
    });
  }

  /** The events, in seq order; the iterator ends at `close()`, and throws when the client gives up. */
  events(): AsyncIterableIterator<RealtimeEvent> {
    const iterator: AsyncIterableIterator<RealtimeEvent> = {
      next: () => this.inbox.next(),
      return: async () => ({ value: undefined, done: true }),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** Sends the last ack and closes for good; unanswered sends stay in the store for the next start. */
  async close(): Promise<void> {
    if (this.stopped) return;
    this.acks.flush(this.position);
    this.stopped = true;
    this.socket?.close(1000, 'client closed');
    this.shutDown(new RealtimeError('closed', 'The client is closed.'), false);
    this.status('closed');
  }

  private status(status: Status, detail?: { code: number; reason: string }): void {
    this.options.onStatus?.(status, detail);
  }

  private transmit(frame: ClientFrame | 'ping'): void {
    try {
      this.socket?.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    } catch {
      // The socket is closing: its close event starts the next connection.
    }
  }

  private async start(): Promise<void> {
    try {
      const cursor = await this.outbox.restore();
      if (!this.positioned && cursor !== null) {
        this.positioned = true;
        this.acks.acked = cursor;
        this.inbox.startAt(cursor);
      }
    } catch (error) {
      this.giveUp(
        error instanceof RealtimeError ? error : new RealtimeError('internal', 'The store could not be read.'),
      );
      return;
    }
    await this.open();
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    this.status(this.attempts.failures === 0 ? 'connecting' : 'reconnecting');
    const factory = this.options.socketFactory ?? platformSocket;
    let socket: SocketLike;
    try {
      socket = await factory(socketUrl(this.options.baseUrl, this.options.deviceId));
    } catch {
      this.failedAttempt();
      return;
    }
    if (this.stopped) return socket.close(1000, 'client closed');
    this.socket = socket;
    const nonce = newNonce();
    const timer = setTimeout(
      () => this.drop(socket, 4000, 'handshake timeout'),
      this.options.handshakeTimeoutMs ?? 15_000,
    );
    socket.addEventListener('message', (event: MessageEvent) => {
      void this.onFrame(socket, event.data, nonce, timer);
    });
    socket.addEventListener('close', (event: CloseEvent) => {
      clearTimeout(timer);
      this.onClose(socket, event.code, event.reason);
    });
    whenOpen(socket, () =>
      socket.send(JSON.stringify({ type: 'hello', device_id: this.options.deviceId, nonce, v: 1 })),
    );
  }

  private async onFrame(socket: SocketLike, data: unknown, nonce: string, timer: ReturnType<typeof setTimeout>) {
    if (socket !== this.socket || typeof data !== 'string') return;
    if (data === 'pong') return this.keepAlive.pong();
    let frame: ServerFrame;
    try {
      frame = JSON.parse(data) as ServerFrame;
    } catch {
      return;
    }
    switch (frame.type) {
      case 'challenge': {
        const signature = await signHandshake(this.options.key, this.options.deviceId, nonce, frame.nonce);
        if (socket === this.socket) this.transmit({ type: 'auth', signature });
        return;
      }
      case 'ready':
        clearTimeout(timer);
        return this.onReady(socket, frame);
      case 'event':
        return this.replayer.live(frame);
      case 'replay':
      case 'resync_required':
        return this.replayer.answer(frame);
      case 'ack':
      case 'conflict':
        return this.outbox.answer(frame.id, frame);
      case 'error':
        return this.onError(frame);
    }
  }

  /** An error frame names what it refers to by id; one without an id refers to nothing pending. */
  private onError(frame: Extract<ServerFrame, { type: 'error' }>): void {
    if (frame.id === undefined || this.replayer.refused(frame)) return;
    if (frame.code === 'rate_limited') {
      this.outbox.sendAgainAfter(frame.id, (frame.retry_after ?? 1) * 1000, (pending) => {
        if (this.ready) this.transmit(pending);
      });
      return;
    }
    this.outbox.refuse(frame.id, new RealtimeError(frame.code, frame.message));
  }

  private onReady(socket: SocketLike, frame: Extract<ServerFrame, { type: 'ready' }>): void {
    this.ready = true;
    this.attempts.succeeded();
    this.userId = frame.user_id;
    if (!this.positioned) {
      this.positioned = true;
      this.acks.acked = frame.cursor;
      this.inbox.startAt(frame.cursor);
    }
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    this.status('ready');
    this.firstReady?.resolve();
    this.firstReady = null;
    this.keepAlive.start(
      () => this.transmit('ping'),
      () => this.drop(socket, 4000, 'no pong'),
    );
    // The replay request goes out first, so queued sends cannot use up the frame limit before it.
    const resumed = this.replayer.resume(socket);
    for (const pending of this.outbox.frames()) this.transmit(pending);
    this.acks.flush(this.position);
    resumed.then(
      (complete) => {
        if (!complete) this.drop(socket, 4000, 'replay failed');
      },
      (error: RealtimeError) => this.giveUp(error),
    );
  }

  /** Sends an ack and saves it as the store's cursor; false when there is no ready socket to send it on. */
  private sendAck(seq: number): boolean {
    if (!this.ready) return false;
    this.transmit({ type: 'ack', seq });
    this.outbox.saveCursor(seq);
    return true;
  }

  /** Gives up on `socket` without waiting for its close event (a dead socket may never send one). */
  private drop(socket: SocketLike, code: number, reason: string): void {
    if (socket !== this.socket) return;
    try {
      socket.close(code, reason);
    } catch {
      // Already closed.
    }
    this.onClose(socket, code, reason);
  }

  private onClose(socket: SocketLike, code: number, reason: string): void {
    if (socket !== this.socket) return;
    this.socket = null;
    this.ready = false;
    this.keepAlive.stop();
    this.replayer.cancel();
    if (this.stopped) return;
    if (code === POLICY_VIOLATION) {
      this.giveUp(new RealtimeError('policy', reason || 'The server closed the connection.'), { code, reason });
      return;
    }
    this.failedAttempt();
  }

  private failedAttempt(): void {
    if (this.stopped || this.attempts.failed(() => void this.open())) return;
    this.giveUp(new RealtimeError('unreachable', `No connection after ${this.attempts.failures} attempts.`));
  }

  /** Stops for good: `connect()` rejects, waiting sends fail, and the iterator throws `error`. */
  private giveUp(error: RealtimeError, detail?: { code: number; reason: string }): void {
    if (this.stopped) return;
    this.stopped = true;
    const socket = this.socket;
    this.socket = null;
    this.ready = false;
    socket?.close(1000, 'client gave up');
    this.shutDown(error, true);
    this.status('closed', detail);
  }

  private shutDown(error: RealtimeError, failIterator: boolean): void {
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    this.attempts.cancel();
    this.acks.cancel();
    this.keepAlive.stop();
    this.replayer.cancel();
    this.outbox.refuseAll(error);
    this.firstReady?.reject(error);
    this.firstReady = null;
    this.inbox.end(failIterator ? error : undefined);
  }
}
