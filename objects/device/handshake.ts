/**
 * The handshake's steps: hello → challenge, then auth → ready once the signature over
 * `v1|device_id|client_nonce|server_nonce` verifies with the device's registered key.
 */
import { verifyDeviceSignature } from '../../core/device-key';
import { fromBase64url, randomId } from '../../core/encoding';
import { AuthFrame, HelloFrame } from '../../core/schemas/realtime';
import type { DeviceRecord } from './connect';
import { parseFrame } from './frames';
import type { SocketState } from './socket';

/** The text a device signs: its id and both nonces, as sent. */
export const handshakeMessage = (deviceId: string, clientNonce: string, serverNonce: string): string =>
  `v1|${deviceId}|${clientNonce}|${serverNonce}`;

export type Step =
  | { kind: 'challenge'; state: SocketState; nonce: string }
  | { kind: 'authenticated' }
  | { kind: 'refuse'; reason: string };

export async function handshakeStep(
  state: Exclude<SocketState, { phase: 'ready' }>,
  message: string | ArrayBuffer,
  record: DeviceRecord,
  now = Date.now(),
): Promise<Step> {
  if (now > state.deadline) return { kind: 'refuse', reason: 'handshake timeout' };
  if (state.phase === 'hello') {
    const hello = parseFrame(HelloFrame, message);
    if (!hello.ok) return { kind: 'refuse', reason: 'expected hello' };
    if (hello.value.device_id !== record.deviceId) return { kind: 'refuse', reason: 'wrong device' };
    const nonce = randomId(16);
    return {
      kind: 'challenge',
      state: { phase: 'challenge', deadline: state.deadline, clientNonce: hello.value.nonce, serverNonce: nonce },
      nonce,
    };
  }
  const auth = parseFrame(AuthFrame, message);
  if (!auth.ok) return { kind: 'refuse', reason: 'expected auth' };
  const signature = fromBase64url(auth.value.signature);
  const signed = handshakeMessage(record.deviceId, state.clientNonce, state.serverNonce);
  if (!signature || !(await verifyDeviceSignature(record.publicKey, signed, signature))) {
    return { kind: 'refuse', reason: 'bad signature' };
  }
  return { kind: 'authenticated' };
}
