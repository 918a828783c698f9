/** DeviceObject: one per device, holding its hibernating WebSocket connections. */
import { DurableObject } from 'cloudflare:workers';

export class DeviceObject extends DurableObject<Env> {}
