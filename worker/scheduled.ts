/** The cron trigger wakes the maintenance actor, whose alarm does the work. */
import { MAINTENANCE_NAME } from '../objects/maintenance';

export async function runScheduled(_controller: ScheduledController, env: Env): Promise<void> {
  await env.MAINTENANCE.getByName(MAINTENANCE_NAME).ping();
}
