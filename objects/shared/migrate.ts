/**
 * Versioned schema for an actor's SQLite storage. Each step runs once, in order, in one
 * transaction with the recorded version: a deployed actor gets the steps it has not seen on
 * its next start, so a table can gain a column without a by-hand fix.
 */
import { one } from './query';
export type MigrationStep = readonly string[];

export function migrate(storage: DurableObjectStorage, steps: readonly MigrationStep[]): void {
  const sql = storage.sql;
  storage.transactionSync(() => {
    sql.exec(
      'CREATE TABLE IF NOT EXISTS _schema (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), version INTEGER NOT NULL)',
    );
    const current = one<{ version: number }>(sql, 'SELECT version FROM _schema')?.version ?? 0;
    if (current >= steps.length) return;
    for (const step of steps.slice(current)) for (const statement of step) sql.exec(statement);
    sql.exec(
      'INSERT INTO _schema (singleton, version) VALUES (1, ?) ON CONFLICT(singleton) DO UPDATE SET version = excluded.version',
      steps.length,
    );
  });
}
