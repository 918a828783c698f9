/**
 * DeviceObject: one per device. Accepts the device's sockets with the hibernation API, runs
 * the signed handshake, relays the user's events to them in seq order, and keeps the acked
 * cursor and the revoked flag. Per-socket state lives in attachments and the rest in storage,
 * so nothing depends on the instance surviving between events.
 */
import { DurableObject } from 'cloudflare:workers';
import { recordMetric } from '../core/metrics';
import { type Counter, countHit, type Decision, type Window } from '../core/rate-limit';
import type { EventOut } from '../core/schemas/events';
import { type DeviceRecord, readConnectRequest, requestIdOfConnect } from './device/connect';
import { catchUp, deliverInOrder, type ReadLog } from './device/deliver';
import { handshakeStep } from './device/handshake';
import {
  echoClose,
  HANDSHAKE_MS,
  lastSign,
  markSent,
  readySockets,
  refuse,
  requestIdOf,
  STALE_MS,
  send,
  setState,
  stateOf,
} from './device/socket';
import { handleFrame } from './device/socket-context';
import { DeviceStore } from './device/store';
import { failureReporter, type ReportFailure } from './shared/report';

export class DeviceObject extends DurableObject<Env> {
  private readonly store: DeviceStore;
  private readonly reportFailure: ReportFailure;
  /**
   * The newest seq relayed to this device, ready socket or not. Kept in memory, not storage: it
   * only serves a `becomeReady` running in this same instance, and a write here would hold
   * every relayed frame behind its commit (the output gate).
   */
  private relayed = 0;
  /**
   * The device's frame counter (the `ws` bucket), in memory for the same reason: a write per
   * frame would hold the append's RPC behind its commit. An evicted actor starts a new window,
   * which lets at most one window's worth more through.
   */
  private frameCounter: Counter | null = null;

  private hit = (window: Window): Decision => {
    const { counter, decision } = countHit(this.frameCounter, window, Date.now());
    this.frameCounter = counter;
    return decision;
  };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new DeviceStore(ctx.storage.kv);
    this.reportFailure = failureReporter(() => this.env, ctx, 'device');
    // Keep-alive pings are answered by the runtime without waking the actor.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('ping', 'pong'));
  }

  private user(record: DeviceRecord) {
    return this.env.USER.getByName(record.userId);
  }

  private readLog(record: DeviceRecord): ReadLog {
    return (after, limit) => this.user(record).replayEvents(after, limit);
  }

  private sockets = (except?: WebSocket) => readySockets(this.ctx.getWebSockets(), except);

  /** A socket the Worker forwards after checking that the device exists and is not revoked. */
  override async fetch(request: Request): Promise<Response> {
    const record = readConnectRequest(request);
    if (!record) return new Response('expected a WebSocket upgrade forwarded by the Worker', { status: 400 });
    this.store.remember(record);
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server);
    recordMetric(this.env.METRICS, { kind: 'ws_connect' });
    if (this.store.revoked()) {
      refuse(server, 'device revoked');
    } else {
      const deadline = Date.now() + HANDSHAKE_MS;
      setState(server, { phase: 'hello', deadline }, requestIdOfConnect(request));
      await this.armDeadline(deadline);
    }
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const record = this.store.record();
    if (!record || this.store.revoked()) return refuse(ws, 'device revoked');
    const state = stateOf(ws);
    try {
      if (state.phase === 'ready') {
        const context = {
          ws,
          record,
          store: this.store,
          user: this.user(record),
          sockets: this.sockets,
          hit: this.hit,
          reportFailure: (error: unknown) =>
            this.reportFailure(error, 'socket_frame', {
              user_id: record.userId,
              device_id: record.deviceId,
              request_id: requestIdOf(ws),
            }),
        };
        await handleFrame(context, message);
        return;
      }
      const step = await handshakeStep(state, message, record);
      if (step.kind === 'refuse') return refuse(ws, step.reason);
      if (step.kind === 'challenge') {
        setState(ws, step.state);
        return send(ws, { type: 'challenge', nonce: step.nonce });
      }
      await this.becomeReady(ws, record);
    } catch (error) {
      this.reportFailure(error, 'socket_message', {
        user_id: record.userId,
        device_id: record.deviceId,
        request_id: requestIdOf(ws),
      });
      if (state.phase === 'ready') send(ws, { type: 'error', code: 'internal', message: 'Something went wrong.' });
      else if (ws.readyState === WebSocket.OPEN) ws.close(1011, 'internal error');
    }
  }

  private async becomeReady(ws: WebSocket, record: DeviceRecord): Promise<void> {
    // Counted as connected from now on, so a sibling socket closing meanwhile does not report the device offline.
    const since = Date.now();
    setState(ws, { phase: 'ready', sent: null, since });
    const head = await this.user(record).devicePresence(record.deviceId, true, this.store.nextStamp());
    if (this.store.revoked()) return refuse(ws, 'device revoked');
    if (ws.readyState !== WebSocket.OPEN) return;
    markSent(ws, head);
    await this.armDeadline(since + STALE_MS);
    send(ws, { type: 'ready', user_id: record.userId, head, cursor: this.store.cursor() });
    // A relay that came while the head was being learnt found this socket not ready yet.
    const relayed = this.relayed;
    if (relayed > head) await catchUp(() => [ws], record.deviceId, relayed, this.readLog(record));
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    recordMetric(this.env.METRICS, { kind: 'ws_close', code });
    try {
      await this.socketGone(ws);
    } finally {
      // Answered with the client's own code, so a clean close never reaches the client as 1006.
      echoClose(ws, code, reason);
    }
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    recordMetric(this.env.METRICS, { kind: 'ws_close', code: 1006 });
    await this.socketGone(ws);
  }

  /** The last socket of the device is gone: the device is offline and was last seen now. */
  private async socketGone(ws: WebSocket): Promise<void> {
    const record = this.store.record();
    if (stateOf(ws).phase !== 'ready' || !record || this.store.revoked()) return;
    if (this.sockets(ws).length > 0) return;
    await this.user(record).devicePresence(record.deviceId, false, this.store.nextStamp());
  }

  /**
   * Handshake deadlines: sockets due by the time this alarm was set for are closed with 1008.
   * Ready sockets that have not pinged for STALE_MS are closed (4000) and, when no other socket
   * of the device is left, the device is reported offline: a dead connection may never close.
   */
  override async alarm(): Promise<void> {
    const due = this.store.alarmAt() ?? Date.now();
    this.store.setAlarmAt(null);
    let next: number | null = null;
    const later = (at: number) => {
      next = Math.min(next ?? at, at);
    };
    const stale: WebSocket[] = [];
    for (const ws of this.ctx.getWebSockets()) {
      const state = stateOf(ws);
      if (state.phase !== 'ready') {
        if (state.deadline <= due) refuse(ws, 'handshake timeout');
        else later(state.deadline);
        continue;
      }
      if (ws.readyState !== WebSocket.OPEN) continue;
      const expires = lastSign(ws, state, this.ctx) + STALE_MS;
      // Against the clock, not `due`: an alarm run early must not take a live socket for a dead one.
      if (expires <= Date.now()) stale.push(ws);
      else later(expires);
    }
    for (const ws of stale) {
      ws.close(4000, 'ping timeout');
      await this.socketGone(ws);
    }
    if (next !== null) await this.armDeadline(next);
  }

  private async armDeadline(deadline: number): Promise<void> {
    const armed = this.store.alarmAt();
    if (armed !== null && armed <= deadline) return;
    this.store.setAlarmAt(deadline);
    await this.ctx.storage.setAlarm(deadline);
  }

  /** A committed event of the user, from the user's actor; false when the device has no socket. */
  async deliver(event: EventOut): Promise<boolean> {
    const record = this.store.record();
    if (!record || this.store.revoked() || this.sockets().length === 0) return false;
    this.relayed = Math.max(this.relayed, event.seq);
    await deliverInOrder(this.sockets, record.deviceId, event, this.readLog(record));
    return true;
  }

  /** Revocation: stored first, so nothing the device sends is accepted again; its sockets close with 1008. */
  async revoke(): Promise<void> {
    this.store.markRevoked();
    for (const ws of this.ctx.getWebSockets()) refuse(ws, 'device revoked');
    const record = this.store.record();
    if (record) await this.user(record).devicePresence(record.deviceId, false, this.store.nextStamp());
  }

  /** Closes every socket of the device with 1008 and forgets its state (account erasure). */
  async disconnect(reason: string): Promise<void> {
    for (const socket of this.ctx.getWebSockets()) refuse(socket, reason);
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }
}
