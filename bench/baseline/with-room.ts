/**
 * This Worker with the baseline room beside it, so both are served by the same `wrangler dev`
 * (one workerd, one isolate, the same settings): `/__bench/room` goes straight to the room,
 * everything else to the Worker. A benchmark entry point (bench/room-server.ts), never deployed.
 */
import worker from '../../worker/index';
import { ROOM_PATH } from './path';
import { RoomObject } from './room';

export { DeviceObject, LimiterObject, MaintenanceObject, OAuthStateObject, UserObject } from '../../worker/index';
export { RoomObject };

/** Serves the room's path, else hands the request to `next`. */
export function withRoom(next: NonNullable<ExportedHandler<Env>['fetch']>): NonNullable<ExportedHandler<Env>['fetch']> {
  return (request, env, ctx) =>
    new URL(request.url).pathname === ROOM_PATH
      ? (env as Env & { ROOM: DurableObjectNamespace<RoomObject> }).ROOM.getByName('room').fetch(request)
      : next(request, env, ctx);
}

export default { ...worker, fetch: withRoom(worker.fetch) } satisfies ExportedHandler<Env>;
