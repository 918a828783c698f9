/**
 * MaintenanceObject: the singleton that runs backup exports and retention from its alarm,
 * woken by the cron trigger.
 */
import { DurableObject } from 'cloudflare:workers';

export const MAINTENANCE_NAME = 'maintenance';

export class MaintenanceObject extends DurableObject<Env> {
  /** A storage round trip, for readiness checks. */
  async ping(): Promise<'ok'> {
    await this.ctx.storage.get('ping');
    return 'ok';
  }
}
