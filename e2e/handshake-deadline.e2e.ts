/**
 * The handshake deadline under `wrangler dev`, on the wire: a socket that never says hello
 * gets its 1008 close frame within 10 s. Read at the TCP level on purpose: after the client
 * answers a close that a Durable Object started, the local runtime keeps the TCP connection
 * open about 10 s more (closes started by the client, or by the Worker, end at once). Chromium
 * reports `close` at the close frame; Node's WebSocket (undici) waits for TCP to end, so it
 * sees about 20 s under `wrangler dev`: the 16-30 s of the issue.
 */
import { connect } from 'node:net';
import { expect, inject, it } from 'vitest';
import { createApi, generateDeviceKey, registerDevice } from '../client/index.ts';

/** Opens the device's socket over raw TCP; resolves with the first close frame and when it came. */
function firstCloseFrame(baseUrl: string, path: string): Promise<{ code: number; reason: string; ms: number }> {
  const url = new URL(baseUrl);
  const socket = connect(Number(url.port), url.hostname);
  const started = performance.now();
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  let buffer = Buffer.alloc(0);
  return new Promise((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const head = buffer.indexOf('\r\n\r\n');
      const frame = head >= 0 ? buffer.subarray(head + 4) : Buffer.alloc(0);
      // An unmasked server frame under 126 bytes: opcode, length, then the code and reason.
      if (frame.length < 4 || (frame[0]! & 0x0f) !== 8 || frame.length < 2 + (frame[1]! & 0x7f)) return;
      const payload = frame.subarray(2, 2 + (frame[1]! & 0x7f));
      resolve({
        code: payload.readUInt16BE(0),
        reason: payload.subarray(2).toString(),
        ms: performance.now() - started,
      });
      socket.destroy();
    });
  });
}

it('sends a socket that never says hello its 1008 close within 10 s', async () => {
  const baseUrl = inject('baseUrl');
  const api = createApi({ baseUrl });
  await api.signUp({ email: `deadline-${crypto.randomUUID()}@example.com`, password: 'correct horse battery staple' });
  const { publicJwk } = await generateDeviceKey();
  const device = await registerDevice({ baseUrl, accessToken: api.accessToken, name: 'silent', publicJwk });
  const closed = await firstCloseFrame(baseUrl, `/v1/devices/${device.id}/ws`);
  expect({ code: closed.code, reason: closed.reason }).toEqual({ code: 1008, reason: 'handshake timeout' });
  expect(closed.ms).toBeGreaterThanOrEqual(9_500);
  expect(closed.ms).toBeLessThanOrEqual(10_500);
}, 30_000);
