/** The cron trigger wakes the maintenance actor, which schedules its alarm to run the backup. */
import { log } from '../core/log';
import { MAINTENANCE_NAME } from '../objects/maintenance/api';

export async function runScheduled(controller: ScheduledController, env: Env, _ctx?: ExecutionContext): Promise<void> {
  const result = await env.MAINTENANCE.getByName(MAINTENANCE_NAME).startBackup({
    trigger: 'cron',
    scheduledTime: controller.scheduledTime,
  });
  if (result.ok) log('info', 'scheduled backup', { backup_id: result.value.id, started: result.value.started });
  else log('error', 'scheduled backup could not start', { reason: result.error.type });
}
