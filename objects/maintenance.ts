/**
 * MaintenanceObject: the singleton that runs backup exports and retention from its alarm,
 * woken by the cron trigger or an operator. Methods return results; they throw only on bugs.
 */
import { DurableObject } from 'cloudflare:workers';
import { configFrom } from '../core/config';
import type { Result } from '../core/result';
import { advanceRun, type RunContext } from './maintenance/advance';
import { type StartedRun, type StartFailure, type StartRequest, startRun } from './maintenance/start';
import { failureReporter } from './shared/report';

export class MaintenanceObject extends DurableObject<Env> {
  /** A storage round trip, for readiness checks. */
  async ping(): Promise<'ok'> {
    await this.ctx.storage.get('ping');
    return 'ok';
  }

  /** Starts a backup export (its alarm does the work), or answers the id of the run under way. */
  async startBackup(request: StartRequest): Promise<Result<StartedRun, StartFailure>> {
    return startRun(this.ctx.storage, this.env.DB, request);
  }

  override async alarm(): Promise<void> {
    await advanceRun(this.runContext());
  }

  private runContext(): RunContext {
    return {
      storage: this.ctx.storage,
      db: this.env.DB,
      bucket: this.env.BACKUPS,
      retention: configFrom(this.env).backupRetention,
      auditRetentionDays: configFrom(this.env).auditRetentionDays,
      metrics: this.env.METRICS,
      reportFailure: failureReporter(() => this.env, this.ctx, 'maintenance'),
    };
  }
}
