/**
 * How the Worker hands a socket to a device's actor: a request it builds itself (never the
 * client's), carrying the D1 row it has just checked, so the actor needs no query of its own.
 */
import type { Window } from '../../core/rate-limit';
import type { DevicePublicKey } from '../../core/schemas/devices';

export interface DeviceRecord {
  deviceId: string;
  userId: string;
  publicKey: DevicePublicKey;
  /** The per-device message limit (the `ws` bucket of RATE_LIMITS). */
  wsLimit: Window;
}

const RECORD_HEADER = 'x-device-record';
const REQUEST_ID_HEADER = 'x-request-id';

/** `requestId`: the upgrade's, kept with the socket so the actor's log lines and reports name it. */
export function connectRequest(record: DeviceRecord, requestId: string): Request {
  return new Request('https://device.internal/ws', {
    headers: { upgrade: 'websocket', [RECORD_HEADER]: JSON.stringify(record), [REQUEST_ID_HEADER]: requestId },
  });
}

export const requestIdOfConnect = (request: Request): string | null => request.headers.get(REQUEST_ID_HEADER);

export function readConnectRequest(request: Request): DeviceRecord | null {
  const header = request.headers.get(RECORD_HEADER);
  if (!header || request.headers.get('upgrade')?.toLowerCase() !== 'websocket') return null;
  return JSON.parse(header) as DeviceRecord;
}
