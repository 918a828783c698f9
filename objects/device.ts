/** DeviceObject: one per device, holding its hibernating WebSocket connections. */
import { DurableObject } from 'cloudflare:workers';

export class DeviceObject extends DurableObject<Env> {
  /** Closes every socket of the device with 1008 and forgets its state (revocation, erasure). */
  async disconnect(reason: string): Promise<void> {
    for (const socket of this.ctx.getWebSockets()) socket.close(1008, reason);
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }
}
