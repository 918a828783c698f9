/**
 * A backup run's progress, kept in the maintenance actor's storage so that a retried or
 * resumed alarm carries on from the last finished table instead of starting a second run.
 */
import { type ActorCoverage, BACKUP_FORMAT, type Manifest, type ManifestTable } from '../../core/backup/manifest';
import type { BackupTableEntry } from '../../core/db/backups';
import type { TableInfo } from '../../core/db/table-discovery';

export const RUN_KEY = 'backup:run';
/** The last cron tick that started a run: a tick delivered twice starts one run. */
export const CRON_KEY = 'backup:cron';

export interface RunState {
  id: string;
  prefix: string;
  startedAt: number;
  trigger: 'cron' | 'manual';
  /** Discovered by the first alarm, in restore order; null until then. */
  tables: TableInfo[] | null;
  migrations: string[];
  /** Tables exported so far. */
  done: ManifestTable[];
  /** Fixed once, so a retried finish writes the very same manifest. */
  finishedAt: number | null;
  /** Failed attempts in a row. */
  attempts: number;
  /** User actors covered: the rows of `user_exports` as exported, and the events they list. */
  actors?: ActorCoverage | null;
}

export interface DeliveredCron {
  scheduledTime: number;
  id: string;
}

/** The exported tables in restore order. */
export function exportedInOrder(state: RunState): ManifestTable[] {
  const byName = new Map(state.done.map((entry) => [entry.name, entry]));
  return (state.tables ?? []).flatMap((table) => byName.get(table.name) ?? []);
}

export const summaries = (tables: ManifestTable[]): BackupTableEntry[] =>
  tables.map(({ name, rows, sha256, key }) => ({ name, rows, sha256, key }));

export function buildManifest(state: RunState, finishedAt: number): Manifest {
  return {
    format: BACKUP_FORMAT,
    id: state.id,
    prefix: state.prefix,
    started_at: new Date(state.startedAt).toISOString(),
    finished_at: new Date(finishedAt).toISOString(),
    schema: { migration: state.migrations.at(-1) ?? null, migrations: state.migrations },
    tables: exportedInOrder(state),
    ...(state.actors ? { actors: state.actors } : {}),
  };
}
