import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { migrate } from '../objects/shared/migrate';

const columns = (sql: SqlStorage, table: string) =>
  sql
    .exec<{ name: string }>(`SELECT name FROM pragma_table_info('${table}')`)
    .toArray()
    .map((c) => c.name);

describe('actor storage migrations', () => {
  it('run each step once, in order, and bring an older actor up to date', async () => {
    await runInDurableObject(env.DEVICE.getByName('migrations-test'), (_instance, state) => {
      const v1 = ['CREATE TABLE notes (id TEXT PRIMARY KEY)'];
      const v2 = ["ALTER TABLE notes ADD COLUMN body TEXT NOT NULL DEFAULT ''"];
      migrate(state.storage, [v1]);
      state.storage.sql.exec("INSERT INTO notes (id) VALUES ('a')");
      // A newer deploy: only the new step runs (v1's CREATE would fail if it ran again).
      migrate(state.storage, [v1, v2]);
      expect(columns(state.storage.sql, 'notes')).toEqual(['id', 'body']);
      migrate(state.storage, [v1, v2]);
      expect(state.storage.sql.exec<{ n: number }>('SELECT count(*) AS n FROM notes').one().n).toBe(1);
      expect(state.storage.sql.exec<{ version: number }>('SELECT version FROM _schema').one().version).toBe(2);
    });
  });

  it('leave nothing half-applied when a step fails', async () => {
    await runInDurableObject(env.DEVICE.getByName('migrations-broken'), (_instance, state) => {
      const broken = ['CREATE TABLE first (id TEXT)', 'NOT SQL AT ALL'];
      expect(() => migrate(state.storage, [broken])).toThrow();
      expect(state.storage.sql.exec("SELECT name FROM sqlite_master WHERE name = 'first'").toArray()).toEqual([]);
    });
  });

  it('are how the user actor builds its tables', async () => {
    const user = env.USER.getByName('migrations-user');
    const version = await runInDurableObject(
      user,
      (_instance, state) => state.storage.sql.exec<{ version: number }>('SELECT version FROM _schema').one().version,
    );
    expect(version).toBeGreaterThanOrEqual(1);
  });
});
