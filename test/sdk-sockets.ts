/**
 * Sockets for SDK tests: a real socket with a tap that sees (and may swallow) what the client
 * sends, so a test can drop the connection on cue; and a scripted server for frames the Worker
 * under test does not send (resync_required, quota_exceeded) or for a server that goes silent.
 */
import type { SocketFactory, SocketLike } from '../client/index.ts';
import type { Frame } from './realtime-helpers';

/** Wraps a socket: `outgoing` sees each frame the client sends and returns false to swallow it. */
export function tapped(
  socket: SocketLike,
  taps: { outgoing?: (frame: Frame) => boolean; incoming?: (frame: Frame) => void },
): SocketLike {
  return {
    get readyState() {
      return socket.readyState;
    },
    send(data: string) {
      const frame = (data.startsWith('{') ? JSON.parse(data) : { text: data }) as Frame;
      if (taps.outgoing?.(frame) === false) return;
      socket.send(data);
    },
    close: (code, reason) => socket.close(code, reason),
    addEventListener(type, listener: (event: never) => void) {
      if (type !== 'message') return socket.addEventListener(type, listener);
      socket.addEventListener('message', ((event: MessageEvent) => {
        const text = String(event.data);
        if (text.startsWith('{')) taps.incoming?.(JSON.parse(text) as Frame);
        listener(event as never);
      }) as (event: never) => void);
    },
  };
}

type Listener = (event: { data?: string; code?: number; reason?: string }) => void;

/**
 * A server in the test's hands: `answer` decides what each client frame gets back (a frame,
 * several, or nothing); `push` sends one unasked; `sent` is everything the client sent.
 */
export class ScriptedSocket implements SocketLike {
  readyState = 0;
  readonly sent: Frame[] = [];
  private readonly listeners = new Map<string, Listener[]>();

  constructor(private readonly answer: (frame: Frame, socket: ScriptedSocket) => Frame[] | string[] | undefined) {
    queueMicrotask(() => {
      this.readyState = 1;
      this.emit('open', {});
    });
  }

  send(data: string): void {
    const frame = (data.startsWith('{') ? JSON.parse(data) : { text: data }) as Frame;
    this.sent.push(frame);
    const replies = this.answer(frame, this) ?? [];
    queueMicrotask(() => {
      for (const reply of replies) this.push(reply);
    });
  }

  push(frame: Frame | string): void {
    if (this.readyState !== 1) return;
    this.emit('message', { data: typeof frame === 'string' ? frame : JSON.stringify(frame) });
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    queueMicrotask(() => this.emit('close', { code, reason }));
  }

  addEventListener(type: string, listener: (event: never) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener as Listener]);
  }

  private emit(type: string, event: Parameters<Listener>[0]): void {
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }
}

/** The handshake as a server would answer it, then `after` for everything else. */
export function handshakeThen(
  userId: string,
  after: (frame: Frame, socket: ScriptedSocket) => Frame[] | string[] | undefined,
): (frame: Frame, socket: ScriptedSocket) => Frame[] | string[] | undefined {
  return (frame, socket) => {
    if (frame.type === 'hello') return [{ type: 'challenge', nonce: 'AAAAAAAAAAAAAAAAAAAAAA' }];
    if (frame.type === 'auth') return [{ type: 'ready', user_id: userId, head: 0, cursor: 0 }];
    return after(frame, socket);
  };
}

/** A factory that opens scripted sockets and keeps them, newest last. */
export function scriptedFactory(answer: ConstructorParameters<typeof ScriptedSocket>[0]): {
  factory: SocketFactory;
  sockets: ScriptedSocket[];
} {
  const sockets: ScriptedSocket[] = [];
  return {
    sockets,
    factory: () => {
      const socket = new ScriptedSocket(answer);
      sockets.push(socket);
      return socket;
    },
  };
}
