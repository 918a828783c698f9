/**
 * The cron trigger wakes the maintenance actor, which schedules its alarm to run the backup,
 * and then the data key sweep (a sweep with nothing to re-seal ends after one count per field).
 */
import { log } from '../core/log';
import { MAINTENANCE_NAME } from '../objects/maintenance/api';

export async function runScheduled(controller: ScheduledController, env: Env, _ctx?: ExecutionContext): Promise<void> {
  const maintenance = env.MAINTENANCE.getByName(MAINTENANCE_NAME);
  const tick = { trigger: 'cron', scheduledTime: controller.scheduledTime } as const;
  const result = await maintenance.startBackup(tick);
  if (result.ok) log('info', 'scheduled backup', { backup_id: result.value.id, started: result.value.started });
  else log('error', 'scheduled backup could not start', { reason: result.error.type });
  const sweep = await maintenance.startSweep(tick);
  log('info', 'scheduled data key sweep', { sweep_id: sweep.id, started: sweep.started });
}
