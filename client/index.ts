/** The TypeScript client SDK: the typed HTTP client and the realtime gateway (browsers and Node 22+). */
export { type Api, type ApiOptions, createApi, type SignIn, type User } from './api.ts';
export type { RetryOptions } from './api-retry.ts';
export { memoryStorage, type TokenStorage, type Tokens } from './api-tokens.ts';
export type { components, paths } from './api-types.ts';
export { type BackoffOptions, backoffDelay } from './backoff.ts';
export { RealtimeClient } from './client.ts';
export { RealtimeError, type RealtimeErrorCode } from './errors.ts';
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
export type { RealtimeClientOptions, Status } from './options.ts';
export type {
  Ack,
  Conflict,
  JsonValue,
  OutgoingEvent,
  RealtimeEvent,
  ServerFrame,
  SnapshotItem,
  SnapshotPage,
} from './protocol.ts';
export type { SnapshotOptions } from './replay.ts';
export { type SnapshotLoaderOptions, snapshotLoader } from './snapshot.ts';
export type { SocketFactory, SocketLike } from './socket.ts';
export { memoryOutboxStore, type OutboxStore, type SavedState } from './store.ts';
