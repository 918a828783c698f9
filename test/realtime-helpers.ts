/** Test helpers for devices and sockets: registration, raw frames, the handshake, SDK clients. */

import { exports } from 'cloudflare:workers';
import {
  type DeviceKey,
  type DeviceKeyAlgorithm,
  generateDeviceKey,
  RealtimeClient,
  type RealtimeClientOptions,
  type SocketLike,
  signHandshake,
} from '../client/index.ts';
import type { LogQuota } from '../objects/user/events';
import { BASE, call, freshIp } from './helpers';

export interface TestDevice {
  id: string;
  key: DeviceKey;
}

let deviceCounter = 0;

export async function registerTestDevice(
  token: string,
  algorithm: DeviceKeyAlgorithm = 'Ed25519',
  name = `device ${++deviceCounter}`,
): Promise<TestDevice> {
  const key = await generateDeviceKey(algorithm);
  const response = await call('/v1/devices', { method: 'POST', token, body: { name, public_key: key.publicJwk } });
  if (response.status !== 201)
    throw new Error(`device registration failed: ${response.status} ${await response.text()}`);
  const { device } = (await response.json()) as { device: { id: string } };
  return { id: device.id, key };
}

/** Opens the device's socket through the Worker, as a client would. */
export async function upgrade(deviceId: string): Promise<WebSocket> {
  const response = await exports.default.fetch(
    new Request(`${BASE}/v1/devices/${deviceId}/ws`, { headers: { upgrade: 'websocket' } }),
  );
  if (response.status !== 101 || !response.webSocket) {
    throw new Error(`upgrade failed: ${response.status} ${await response.text()}`);
  }
  response.webSocket.accept();
  return response.webSocket;
}

// biome-ignore lint/suspicious/noExplicitAny: frames are whatever the server sent
export type Frame = Record<string, any>;

/** A socket whose frames are read one at a time, with timeouts. */
export class Frames {
  private readonly queue: Frame[] = [];
  private waiter: ((frame: Frame) => void) | null = null;
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(readonly ws: WebSocket) {
    ws.addEventListener('message', (event) => {
      const text = String(event.data);
      // Auto-responses (`pong`) are plain text; everything else is JSON.
      const frame = (text.startsWith('{') ? JSON.parse(text) : text) as Frame;
      if (this.waiter) {
        const waiter = this.waiter;
        this.waiter = null;
        waiter(frame);
      } else this.queue.push(frame);
    });
    this.closed = new Promise((resolve) => {
      ws.addEventListener('close', (event) => resolve({ code: event.code, reason: event.reason }));
    });
  }

  static async open(deviceId: string): Promise<Frames> {
    return new Frames(await upgrade(deviceId));
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  next(timeoutMs = 3000): Promise<Frame> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error('no frame arrived in time'));
      }, timeoutMs);
      this.waiter = (frame) => {
        clearTimeout(timer);
        resolve(frame);
      };
    });
  }

  /** Sends a frame and returns the first answer. */
  async ask(frame: unknown): Promise<Frame> {
    this.send(frame);
    return this.next();
  }

  async closeCode(timeoutMs = 3000): Promise<{ code: number; reason: string }> {
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('not closed in time')), timeoutMs),
    );
    return Promise.race([this.closed, timeout]);
  }
}

export const nonce = (): string => {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
};

/** Opens a socket and completes the handshake; returns the frames and the `ready` frame. */
export async function connect(device: TestDevice): Promise<{ frames: Frames; ready: Frame }> {
  const frames = await Frames.open(device.id);
  const clientNonce = nonce();
  const challenge = await frames.ask({ type: 'hello', device_id: device.id, nonce: clientNonce, v: 1 });
  if (challenge.type !== 'challenge') throw new Error(`expected challenge, got ${JSON.stringify(challenge)}`);
  const signature = await signHandshake(device.key, device.id, clientNonce, challenge.nonce);
  const ready = await frames.ask({ type: 'auth', signature });
  if (ready.type !== 'ready') throw new Error(`expected ready, got ${JSON.stringify(ready)}`);
  return { frames, ready };
}

/** Opens a socket through the Worker under test, as the SDK's socket factory; one address per call site. */
export function workerSocket(ip = freshIp()): (url: string) => Promise<SocketLike> {
  return async (url) => {
    const response = await exports.default.fetch(
      new Request(url.replace(/^ws/, 'http'), { headers: { upgrade: 'websocket', 'cf-connecting-ip': ip } }),
    );
    if (!response.webSocket) throw new Error(`upgrade failed: ${response.status}`);
    response.webSocket.accept();
    return response.webSocket as unknown as SocketLike;
  };
}

/** An SDK client whose sockets go through the Worker under test. */
export function sdkClient(device: TestDevice, options: Partial<RealtimeClientOptions> = {}): RealtimeClient {
  return new RealtimeClient({
    baseUrl: BASE,
    deviceId: device.id,
    key: device.key,
    socketFactory: workerSocket(),
    backoff: { initialMs: 10, maxMs: 50 },
    ackDelayMs: 10,
    ...options,
  });
}

/** Waits until `check` holds, polling. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A quota no test log reaches, for appends made straight into an EventLog. */
export const UNLIMITED: LogQuota = { maxEvents: Number.MAX_SAFE_INTEGER, maxBytes: Number.MAX_SAFE_INTEGER };
