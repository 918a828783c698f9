/** The socket the client talks through, and where it connects. */

/** What the client needs of a WebSocket: the browser's, Node's and workerd's all fit. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: never) => void): void;
}

export type SocketFactory = (url: string) => SocketLike | Promise<SocketLike>;

/** The platform's own WebSocket (browsers, Node 22+). */
export const platformSocket: SocketFactory = (url) => new WebSocket(url) as unknown as SocketLike;

/** `wss://host/v1/devices/{id}/ws` from the API's origin. */
export function socketUrl(baseUrl: string, deviceId: string): string {
  const base = baseUrl.replace(/^http/, 'ws').replace(/\/$/, '');
  return `${base}/v1/devices/${encodeURIComponent(deviceId)}/ws`;
}

/** Calls `ready` once the socket is open (at once for a socket that already is). */
export function whenOpen(socket: SocketLike, ready: () => void): void {
  if (socket.readyState === 1) ready();
  else socket.addEventListener('open', ready);
}
