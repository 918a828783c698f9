/** The TypeScript client SDK of the realtime gateway (browsers and Node 22+, WebCrypto only). */
export { type BackoffOptions, backoffDelay } from './backoff.ts';
export { RealtimeClient, type RealtimeClientOptions, type Status } from './client.ts';
export { RealtimeError } from './errors.ts';
export { ApiRequestError, type Device, type RegisterOptions, registerDevice } from './http.ts';
export {
  type DeviceKey,
  type DeviceKeyAlgorithm,
  generateDeviceKey,
  handshakeMessage,
  importDeviceKey,
  type PublicDeviceJwk,
  signHandshake,
} from './keys.ts';
export type { Ack, Conflict, JsonValue, OutgoingEvent, RealtimeEvent, ServerFrame } from './protocol.ts';
export type { SocketFactory, SocketLike } from './socket.ts';
