/**
 * MaintenanceObject: the singleton that runs backup exports and retention, and the data key
 * sweep, from its alarm, woken by the cron trigger or an operator. Methods return results; they throw only on bugs.
 */
import { DurableObject } from 'cloudflare:workers';
import { configFrom } from '../core/config';
import type { Result } from '../core/result';
import { advanceRun, type RunContext } from './maintenance/advance';
import { advanceSweep, type SweepState, startSweep, sweepStatus } from './maintenance/reseal';
import { type StartedRun, type StartFailure, type StartRequest, startRun } from './maintenance/start';
import { RUN_KEY } from './maintenance/state';
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

  /** Starts the data key sweep (its alarm does the work), or answers the id of the one under way. */
  async startSweep(request: StartRequest): Promise<{ id: string; started: boolean }> {
    return startSweep(this.ctx.storage, configFrom(this.env).dataKeys, request, await this.backupRunning());
  }

  /** The sweep under way, else the last one; null before the first. */
  sweepStatus(): Promise<SweepState | null> {
    return sweepStatus(this.ctx.storage);
  }

  override async alarm(): Promise<void> {
    await advanceRun(this.runContext());
    if (!(await this.backupRunning())) await advanceSweep(this.ctx.storage, this.env.DB, configFrom(this.env).dataKeys);
  }

  private async backupRunning(): Promise<boolean> {
    return (await this.ctx.storage.get(RUN_KEY)) !== undefined;
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
