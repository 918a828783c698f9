/** Accounts and raw sockets for the benchmarks: a new user, a device of this API after its handshake, and a baseline room member. */
import { generateDeviceKey, registerDevice, signHandshake } from '../client/index.ts';
import { newNonce } from '../client/keys.ts';

// biome-ignore lint/suspicious/noExplicitAny: frames are whatever the server sent
export type Frame = Record<string, any>;

/** A socket whose JSON frames go to `onFrame`; `send` writes one. */
export interface BenchSocket {
  send(frame: unknown): void;
  onFrame: (frame: Frame) => void;
  close(): void;
}

const PING_MS = 25_000;

async function open(url: string): Promise<{ ws: WebSocket; socket: BenchSocket }> {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve, { once: true });
    ws.addEventListener('error', reject, { once: true });
  });
  // Pings like the SDK's, so a device actor does not take a socket of a long benchmark for a dead one.
  const pings = setInterval(() => ws.send('ping'), PING_MS);
  const socket: BenchSocket = {
    send: (frame) => ws.send(JSON.stringify(frame)),
    onFrame: () => {},
    close: () => {
      clearInterval(pings);
      ws.close(1000);
    },
  };
  ws.addEventListener('close', () => clearInterval(pings));
  ws.addEventListener('message', (event) => {
    const text = String(event.data);
    if (text.startsWith('{')) socket.onFrame(JSON.parse(text) as Frame);
  });
  return { ws, socket };
}

const next = (socket: BenchSocket): Promise<Frame> =>
  new Promise((resolve) => {
    socket.onFrame = resolve;
  });

/** Signs up a new user (`label` starts its email); its id and access token. */
export async function signUp(baseUrl: string, label: string): Promise<{ id: string; token: string }> {
  const response = await fetch(`${baseUrl}/v1/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `${label}-${crypto.randomUUID()}@example.com`, password: 'benchmark passphrase 1' }),
  });
  if (response.status !== 201) throw new Error(`sign-up failed: ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { user: { id: string }; access_token: string };
  return { id: body.user.id, token: body.access_token };
}

/** Registers a device of the signed-in user and opens its socket through the handshake. */
export async function deviceSocket(
  baseUrl: string,
  token: string,
  name: string,
): Promise<BenchSocket & { id: string }> {
  const key = await generateDeviceKey('Ed25519');
  const device = await registerDevice({ baseUrl, accessToken: token, name, publicJwk: key.publicJwk });
  const { socket } = await open(`${baseUrl.replace(/^http/, 'ws')}/v1/devices/${device.id}/ws`);
  const nonce = newNonce();
  const challenge = next(socket);
  socket.send({ type: 'hello', device_id: device.id, nonce, v: 1 });
  const { nonce: serverNonce } = await challenge;
  const ready = next(socket);
  socket.send({ type: 'auth', signature: await signHandshake(key, device.id, nonce, serverNonce) });
  const frame = await ready;
  if (frame.type !== 'ready') throw new Error(`handshake failed: ${JSON.stringify(frame)}`);
  socket.onFrame = () => {};
  return Object.assign(socket, { id: device.id });
}

/** A member of the baseline's one room, served at `url`. */
export async function roomSocket(url: string): Promise<BenchSocket> {
  return (await open(url.replace(/^http/, 'ws'))).socket;
}

/** Sends an event from `from` and resolves with the ms until `to` receives it. */
export function relayOnce(from: BenchSocket, to: BenchSocket, frame: Frame): Promise<number> {
  return new Promise((resolve) => {
    const start = performance.now();
    to.onFrame = (received) => {
      if (received.type === 'event' && received.id === frame.id) resolve(performance.now() - start);
    };
    from.send(frame);
  });
}
