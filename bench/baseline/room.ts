/**
 * The baseline the relay is measured against: a one-room chat relay in a single Durable
 * Object, the fastest shape this runtime allows for "persist, then broadcast". Each message is
 * stored in the room's SQLite (the output gate holds the broadcast until it commits), acked to
 * its sender and sent to every other socket. Served beside the Worker by the same `wrangler
 * dev` (bench/baseline/with-room.ts); not part of the product.
 */
import { DurableObject } from 'cloudflare:workers';

export class RoomObject extends DurableObject<object> {
  constructor(ctx: DurableObjectState, env: object) {
    super(ctx, env);
    ctx.storage.sql.exec(
      'CREATE TABLE IF NOT EXISTS messages (seq INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, body TEXT NOT NULL)',
    );
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('ping', 'pong'));
  }

  override async fetch(): Promise<Response> {
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server);
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const { id, payload } = JSON.parse(String(message)) as { id: string; payload: unknown };
    const body = JSON.stringify(payload);
    const { seq } = this.ctx.storage.sql
      .exec<{ seq: number }>('INSERT INTO messages (id, body) VALUES (?, ?) RETURNING seq', id, body)
      .one();
    ws.send(JSON.stringify({ type: 'ack', id, seq }));
    const frame = JSON.stringify({ type: 'event', seq, id, payload });
    for (const other of this.ctx.getWebSockets()) if (other !== ws) other.send(frame);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    ws.close(code, reason);
  }
}
