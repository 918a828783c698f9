/**
 * A socket accepted only to be closed at once with 1008 and a reason. A refused upgrade
 * reaches a browser as a bare 1006, which a client cannot tell from a network failure; a
 * 1008 with a reason tells it to stop instead of retrying.
 */
export function refusedSocket(reason: string): Response {
  const { 0: client, 1: server } = new WebSocketPair();
  server.accept();
  server.close(1008, reason);
  return new Response(null, { status: 101, webSocket: client });
}
