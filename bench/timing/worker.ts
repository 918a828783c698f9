/**
 * A timing build of the Worker (`wrangler dev bench/timing/worker.ts`): the same code, with the
 * actors subclassed to note `performance.now()` as an event passes each hop, and the baseline
 * room beside it noting when its messages arrive. The Worker and every actor of one local
 * workerd share an isolate, so the notes land in one map, read back at `GET /__bench/hops`.
 * Never deployed; bench/hops.ts drives it.
 */
import type { EventOut } from '../../core/schemas/events';
import type { AppendInput } from '../../objects/user/events';
import { RoomObject as Room } from '../baseline/room';
import worker, { DeviceObject as Device, UserObject as User, withRoom } from '../baseline/with-room';
import { frameId, note, notesResponse } from './notes';

export { LimiterObject, MaintenanceObject, OAuthStateObject } from '../baseline/with-room';

export class DeviceObject extends Device {
  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    note(frameId(message), 'device_in');
    return super.webSocketMessage(ws, message);
  }

  override async deliver(event: EventOut): Promise<boolean> {
    note(event.id, 'deliver_in');
    const delivered = await super.deliver(event);
    note(event.id, 'sent');
    return delivered;
  }
}

/** The DEVICE namespace as the user actor sees it, noting when a relay call leaves. */
function notingRelays(namespace: Env['DEVICE']): Env['DEVICE'] {
  return new Proxy(namespace, {
    get(target, prop) {
      if (prop !== 'getByName') return Reflect.get(target, prop, target);
      return (name: string) => {
        const stub = target.getByName(name);
        return new Proxy(stub, {
          get(inner, method) {
            if (method !== 'deliver') return Reflect.get(inner, method, inner);
            return (event: EventOut) => {
              note(event.id, 'relay_call');
              return inner.deliver(event);
            };
          },
        });
      };
    },
  });
}

export class UserObject extends User {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, { ...env, DEVICE: notingRelays(env.DEVICE) });
  }

  override async appendEvent(input: AppendInput) {
    note(input.id, 'user_in');
    const result = await super.appendEvent(input);
    note(input.id, 'user_out');
    return result;
  }
}

export class RoomObject extends Room {
  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    note(frameId(message), 'device_in');
    return super.webSocketMessage(ws, message);
  }
}

const serve = withRoom(worker.fetch);

export default {
  ...worker,
  fetch: (request, env, ctx) => notesResponse(request) ?? serve(request, env, ctx),
} satisfies ExportedHandler<Env>;
