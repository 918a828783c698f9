/** The routing Worker's entry: HTTP through the pipeline, cron to the maintenance actor. */
import { env as startupEnv } from 'cloudflare:workers';
import { configFrom } from '../core/config';
import { handle } from './pipeline';
import { runScheduled } from './scheduled';

// Refuse to start with missing or unsafe configuration: the error names the variable.
configFrom(startupEnv);

export { DeviceObject } from '../objects/device';
export { LimiterObject } from '../objects/limiter';
export { MaintenanceObject } from '../objects/maintenance';
export { OAuthStateObject } from '../objects/oauth-state';
export { UserObject } from '../objects/user';

export default {
  fetch: handle,
  scheduled: runScheduled,
} satisfies ExportedHandler<Env>;
