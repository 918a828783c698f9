/**
 * The realtime client: connects a registered device, runs the signed handshake, resumes from
 * the last seq it took in, and reconnects with jittered backoff. Events reach the app once
 * each, in seq order, through `onEvent` or `events()`; what the app has finished with is
 * acked so that another process of the same device resumes from there.
 */
import { type BackoffOptions, backoffDelay } from './backoff.ts';
import { RealtimeError } from './errors.ts';
import { Inbox } from './inbox.ts';
import { type DeviceKey, newNonce, signHandshake } from './keys.ts';
import { Outbox } from './outbox.ts';
import type { Ack, ClientFrame, Conflict, OutgoingEvent, RealtimeEvent, ServerFrame } from './protocol.ts';
import { platformSocket, type SocketFactory, type SocketLike, socketUrl, whenOpen } from './socket.ts';

export type Status = 'connecting' | 'ready' | 'reconnecting' | 'closed';

export interface RealtimeClientOptions {
  /** The API's origin, such as `https://api.example.com`. */
  baseUrl: string;
  deviceId: string;
  key: DeviceKey;
  /** Resume after this seq (the last one your app finished with); default: the cursor the device last acked. */
  after?: number;
  /** Called for each event in seq order, one at a time; otherwise read `events()`. */
  onEvent?: (event: RealtimeEvent) => void | Promise<void>;
  onStatus?: (status: Status, detail?: { code: number; reason: string }) => void;
  /** Opens the socket; default `new WebSocket(url)`. */
  socketFactory?: SocketFactory;
  backoff?: BackoffOptions;
  /** Acks are batched: at most one per this many ms (default 250). */
  ackDelayMs?: number;
  /** A connection that is not ready by then is dropped and retried (default 15 s). */
  handshakeTimeoutMs?: number;
  random?: () => number;
}

type ReplayPage = Extract<ServerFrame, { type: 'replay' }>;

const POLICY_VIOLATION = 1008;

export class RealtimeClient {
  /** The signed-in user, once ready. */
  userId: string | null = null;
  private socket: SocketLike | null = null;
  private ready = false;
  private stopped = false;
  private attempt = 0;
  private readonly inbox: Inbox;
  /** Whether the resume point is known: given as `after`, or learnt from the first `ready`. */
  private positioned: boolean;
  private acked = 0;
  private ackTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly outbox = new Outbox();
  private replayWaiter: { resolve: (page: ReplayPage) => void; reject: (error: unknown) => void } | null = null;
  private liveBuffer: RealtimeEvent[] | null = null;
  private firstReady: { resolve: () => void; reject: (error: unknown) => void } | null = null;

  private readonly options: RealtimeClientOptions;

  constructor(options: RealtimeClientOptions) {
    this.options = options;
    this.positioned = options.after !== undefined;
    this.acked = options.after ?? 0;
    this.inbox = new Inbox(this.acked, () => this.scheduleAck(), options.onEvent);
  }

  /** Connects; resolves at the first `ready`, and keeps reconnecting after that until `close()`. */
  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.firstReady = { resolve, reject };
      void this.open();
    });
  }

  /** The highest seq handed to the app and finished with. */
  get position(): number {
    return this.inbox.processed;
  }

  /** Appends an event; resolves with its ack (or a conflict). Retried on reconnect with the same id. */
  send(event: OutgoingEvent): Promise<Ack | Conflict> {
    if (this.stopped) return Promise.reject(new RealtimeError('closed', 'The client is closed.'));
    const frame: ClientFrame = { type: 'event', ...event };
    const answer = this.outbox.add(event.id, frame);
    if (this.ready) this.transmit(frame);
    return answer;
  }

  /** The events, in seq order; the iterator ends at `close()`, and throws on a policy close. */
  events(): AsyncIterableIterator<RealtimeEvent> {
    const iterator: AsyncIterableIterator<RealtimeEvent> = {
      next: () => this.inbox.next(),
      return: async () => ({ value: undefined, done: true }),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** Sends the last ack and closes for good. */
  async close(): Promise<void> {
    this.stopped = true;
    this.flushAck();
    this.socket?.close(1000, 'client closed');
    this.shutDown(new RealtimeError('closed', 'The client is closed.'), false);
  }

  private status(status: Status, detail?: { code: number; reason: string }): void {
    this.options.onStatus?.(status, detail);
  }

  private transmit(frame: ClientFrame): void {
    this.socket?.send(JSON.stringify(frame));
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    this.status(this.attempt === 0 ? 'connecting' : 'reconnecting');
    const factory = this.options.socketFactory ?? platformSocket;
    let socket: SocketLike;
    try {
      socket = await factory(socketUrl(this.options.baseUrl, this.options.deviceId));
    } catch {
      this.retry();
      return;
    }
    this.socket = socket;
    const nonce = newNonce();
    const timer = setTimeout(() => socket.close(4000, 'handshake timeout'), this.options.handshakeTimeoutMs ?? 15_000);
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
        if (this.liveBuffer) this.liveBuffer.push(frame);
        else this.inbox.accept(frame);
        return;
      case 'replay':
        this.replayWaiter?.resolve(frame);
        this.replayWaiter = null;
        return;
      case 'ack':
        this.inbox.markOwn(frame.seq);
        return this.outbox.answer(frame.id, frame);
      case 'conflict':
        return this.outbox.answer(frame.id, frame);
      case 'error': {
        const error = new RealtimeError(frame.code, frame.message);
        if (frame.id !== undefined && this.outbox.has(frame.id)) return this.outbox.refuse(frame.id, error);
        this.replayWaiter?.reject(error);
        this.replayWaiter = null;
        return;
      }
    }
  }

  private onReady(socket: SocketLike, frame: Extract<ServerFrame, { type: 'ready' }>): void {
    this.ready = true;
    this.attempt = 0;
    this.userId = frame.user_id;
    if (!this.positioned) {
      this.positioned = true;
      this.acked = frame.cursor;
      this.inbox.startAt(frame.cursor);
    }
    this.status('ready');
    this.firstReady?.resolve();
    this.firstReady = null;
    for (const frame of this.outbox.frames()) this.transmit(frame);
    this.flushAck();
    void this.resume(socket);
  }

  /** Replays what was missed; live events wait meanwhile, so everything is taken in seq order. */
  private async resume(socket: SocketLike): Promise<void> {
    const inbox = this.inbox;
    this.liveBuffer = [];
    try {
      let after: number | null = inbox.received;
      while (after !== null && socket === this.socket) {
        const page = await this.requestReplay(after);
        for (const event of page.events) inbox.accept(event);
        after = page.next_after;
      }
    } catch {
      // The socket closed or the request was refused: the next connection resumes again.
    } finally {
      const buffered = this.liveBuffer ?? [];
      this.liveBuffer = null;
      for (const event of buffered.sort((a, b) => a.seq - b.seq)) inbox.accept(event);
    }
  }

  private requestReplay(after: number): Promise<ReplayPage> {
    return new Promise((resolve, reject) => {
      this.replayWaiter = { resolve, reject };
      this.transmit({ type: 'replay', after, limit: 500 });
    });
  }

  private scheduleAck(): void {
    if (this.ackTimer !== null) return;
    this.ackTimer = setTimeout(() => {
      this.ackTimer = null;
      this.flushAck();
    }, this.options.ackDelayMs ?? 250);
  }

  private flushAck(): void {
    const seq = this.inbox.processed;
    if (!this.ready || seq <= this.acked) return;
    this.transmit({ type: 'ack', seq });
    this.acked = seq;
  }

  private onClose(socket: SocketLike, code: number, reason: string): void {
    if (socket !== this.socket) return;
    this.socket = null;
    this.ready = false;
    this.replayWaiter?.reject(new RealtimeError('closed', 'The socket closed.'));
    this.replayWaiter = null;
    if (this.stopped) return;
    if (code === POLICY_VIOLATION) {
      this.stopped = true;
      this.shutDown(new RealtimeError('policy', reason || 'The server closed the connection.'), true);
      this.status('closed', { code, reason });
      return;
    }
    this.retry();
  }

  private retry(): void {
    if (this.stopped) return;
    const delay = backoffDelay(this.attempt, this.options.backoff, this.options.random);
    this.attempt += 1;
    setTimeout(() => void this.open(), delay);
  }

  private shutDown(error: RealtimeError, failIterator: boolean): void {
    if (this.ackTimer !== null) clearTimeout(this.ackTimer);
    this.ackTimer = null;
    this.outbox.refuseAll(error);
    this.firstReady?.reject(error);
    this.firstReady = null;
    this.inbox.end(failIterator ? error : undefined);
    if (!failIterator) this.status('closed');
  }
}
