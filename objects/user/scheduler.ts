/**
 * The one owner of the user actor's alarm. Each job keeps its due time in SQLite and the alarm
 * is set to the earliest, so API-key usage flushes and provider token refreshes share it.
 * Jobs are idempotent (alarms are at-least-once); a job that throws, or whose isolate dies
 * while it runs, is retried later: its due time is pushed back before it starts, never deleted.
 * A job that keeps failing backs off (30 s doubling up to an hour, never given up: its work,
 * such as counted key uses, would be lost) and is reported to Sentry when it fails for the
 * REPORT_AFTER_FAILURES-th time in a row. Each alarm run has a run id in its log lines.
 */
import { describeError, log } from '../../core/log';
import { all, one } from '../shared/query';
import type { ReportFailure, Tags } from '../shared/report';

export type JobName = 'key_usage' | 'oauth_refresh' | 'log_upkeep' | 'log_export' | 'outbox';

/** Runs a due job; answers when it is due next, or null for not until something schedules it. */
export type JobHandler = (now: number) => Promise<number | null>;

const RETRY_MS = 30_000;
const MAX_RETRY_MS = 60 * 60_000;
export const REPORT_AFTER_FAILURES = 5;
const failuresKey = (job: JobName) => `scheduler:failures:${job}`;

export class Scheduler {
  /** Due times asked for while a job runs, kept beside the job's own answer. */
  private readonly asked = new Map<JobName, number>();
  private readonly running = new Set<JobName>();

  constructor(
    private readonly sql: SqlStorage,
    private readonly storage: DurableObjectStorage,
    private readonly reportFailure: ReportFailure = () => {},
    private readonly tags: Tags = {},
  ) {}

  /** Makes `job` due at `at` or earlier (an earlier due time stays). */
  async atLatest(job: JobName, at: number): Promise<void> {
    this.remember(job, at);
    this.sql.exec(
      `INSERT INTO scheduled_jobs (job, due_at) VALUES (?, ?)
       ON CONFLICT(job) DO UPDATE SET due_at = MIN(due_at, excluded.due_at)`,
      job,
      at,
    );
    await this.arm();
  }

  /** Makes `job` due exactly at `at`, or never with null. */
  async set(job: JobName, at: number | null): Promise<void> {
    if (at !== null) this.remember(job, at);
    this.write(job, at);
    await this.arm();
  }

  private write(job: JobName, at: number | null): void {
    if (at === null) this.sql.exec('DELETE FROM scheduled_jobs WHERE job = ?', job);
    else
      this.sql.exec(
        'INSERT INTO scheduled_jobs (job, due_at) VALUES (?, ?) ON CONFLICT(job) DO UPDATE SET due_at = excluded.due_at',
        job,
        at,
      );
  }

  /** The alarm handler: runs every due job once, then sets the alarm for what remains. */
  async run(handlers: Record<JobName, JobHandler>, clock = Date.now()): Promise<void> {
    // The alarm was set for the earliest job, which runs even if the alarm fired early (clock
    // skew, a test's runDurableObjectAlarm); handlers get the real time and check their own work.
    const earliest = this.earliest();
    if (earliest === null) return;
    const due = all<{ job: JobName }>(
      this.sql,
      'SELECT job FROM scheduled_jobs WHERE due_at <= ? ORDER BY due_at',
      Math.max(clock, earliest),
    );
    const now = clock;
    // Pushed back first, so a job cut short (an exception, an isolate that dies) runs again.
    const retryAt = now + RETRY_MS;
    for (const { job } of due) this.sql.exec('UPDATE scheduled_jobs SET due_at = ? WHERE job = ?', retryAt, job);
    await this.arm();
    const runId = crypto.randomUUID();
    for (const { job } of due) {
      this.running.add(job);
      let next: number | null;
      try {
        next = await handlers[job](now);
        this.storage.kv.delete(failuresKey(job));
      } catch (error) {
        next = this.failed(job, error, now, runId);
      } finally {
        this.running.delete(job);
      }
      // Work scheduled while the job ran (a new key use) is kept beside its answer.
      const asked = this.asked.get(job);
      this.asked.delete(job);
      const at = next === null ? (asked ?? null) : Math.min(next, asked ?? next);
      this.write(job, at);
    }
    await this.arm();
  }

  /** Counts a failure in a row; answers when to try again. */
  private failed(job: JobName, error: unknown, now: number, runId: string): number {
    const failures = (this.storage.kv.get<number>(failuresKey(job)) ?? 0) + 1;
    this.storage.kv.put(failuresKey(job), failures);
    const operation = failures === REPORT_AFTER_FAILURES ? 'scheduled_job' : null;
    const tags = { ...this.tags, job, run_id: runId, failures: String(failures) };
    if (operation) this.reportFailure(error, operation, tags);
    else log('error', 'scheduled job failed', { ...tags, ...describeError(error) });
    return now + Math.min(RETRY_MS * 2 ** (failures - 1), MAX_RETRY_MS);
  }

  private remember(job: JobName, at: number): void {
    if (!this.running.has(job)) return;
    this.asked.set(job, Math.min(at, this.asked.get(job) ?? at));
  }

  private earliest(): number | null {
    return one<{ at: number | null }>(this.sql, 'SELECT MIN(due_at) AS at FROM scheduled_jobs')!.at;
  }

  private async arm(): Promise<void> {
    const earliest = this.earliest();
    const current = await this.storage.getAlarm();
    if (earliest === null) {
      if (current !== null) await this.storage.deleteAlarm();
    } else if (current !== earliest) {
      await this.storage.setAlarm(earliest);
    }
  }
}
