/** The realtime client's options and the statuses it reports. */
import type { BackoffOptions } from './backoff.ts';
import type { DeviceKey } from './keys.ts';
import type { RealtimeEvent } from './protocol.ts';
import type { SnapshotOptions } from './replay.ts';
import type { SocketFactory } from './socket.ts';
import type { OutboxStore } from './store.ts';

export type Status = 'connecting' | 'ready' | 'reconnecting' | 'closed';

export interface RealtimeClientOptions extends SnapshotOptions {
  /** The API's origin, such as `https://api.example.com`. */
  baseUrl: string;
  deviceId: string;
  key: DeviceKey;
  /** Resume after this seq (the last one your app finished with); default: the store's cursor, else the device's acked cursor. */
  after?: number;
  /** Called for each event in seq order, one at a time; otherwise read `events()`. */
  onEvent?: (event: RealtimeEvent) => void | Promise<void>;
  onStatus?: (status: Status, detail?: { code: number; reason: string }) => void;
  /** Keeps unanswered sends and the cursor across restarts (default: memory only). */
  store?: OutboxStore;
  /** Opens the socket; default `new WebSocket(url)`. */
  socketFactory?: SocketFactory;
  backoff?: BackoffOptions;
  /** `connect()` rejects (code `timeout`) and the client stops when not ready by then (default 30 s; `Infinity` waits). */
  connectTimeoutMs?: number;
  /** Failed connection attempts in a row before the client stops (code `unreachable`; default unlimited). */
  maxAttempts?: number;
  /** A connection that is not ready by then is dropped and retried (default 15 s). */
  handshakeTimeoutMs?: number;
  /** A `ping` every this many ms; a socket that has not answered the previous one is dropped (default 25 s, 0: off). */
  pingIntervalMs?: number;
  /** Acks are batched: at most one per this many ms (default 250). */
  ackDelayMs?: number;
  random?: () => number;
}
