import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../core/encoding';
import type { OAuthStateObject } from '../objects/oauth-state';
import type { PendingFlow } from '../objects/oauth-state/api';
import { migrate } from '../objects/shared/migrate';
import { USER_MIGRATIONS } from '../objects/user/schema';
import { SingleUseTokens } from '../objects/user/single-use-tokens';

const columns = (sql: SqlStorage, table: string) =>
  sql
    .exec<{ name: string }>(`SELECT name FROM pragma_table_info('${table}')`)
    .toArray()
    .map((c) => c.name);

const flow: PendingFlow = {
  provider: 'acme',
  verifier: 'v',
  nonce: 'n',
  redirectTo: '/',
  callbackUrl: 'https://example.com/cb',
  intent: 'login',
  mode: 'body',
  userId: null,
  sessionId: null,
  browserHash: 'h',
};

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

  const storageOf = (stub: DurableObjectStub) =>
    runInDurableObject(stub, (_instance, state) => ({
      version: state.storage.sql.exec<{ version: number }>('SELECT version FROM _schema').one().version,
      tables: state.storage.sql
        .exec<{ name: string }>(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' ORDER BY name",
        )
        .toArray()
        .map((t) => t.name),
    }));

  it('are how the user actor builds its tables', async () => {
    expect(await storageOf(env.USER.getByName('migrations-user'))).toEqual({
      version: 7,
      tables: [
        'api_key_usage',
        'audit_exports',
        'audit_log',
        'counters',
        'device_presence',
        'event_keys',
        'events',
        'factor_guard',
        'known_clients',
        'log_segments',
        'log_state',
        'login_guard',
        'oauth_breaker',
        'oauth_refresh',
        'outbox',
        'profile',
        'refresh_tokens',
        'scheduled_jobs',
        'sessions',
        'single_use_tokens',
      ],
    });
  });

  it('are how the limiter builds its tables', async () => {
    expect(await storageOf(env.LIMITER.getByName('migrations-limiter'))).toEqual({
      version: 1,
      tables: ['counters', 'login_guard'],
    });
  });

  it('are how the OAuth state actor builds its table', async () => {
    const stub = env.OAUTH_STATE.getByName('migrations-oauth-state');
    await runInDurableObject(stub, (instance: OAuthStateObject) => instance.begin(flow));
    expect(await storageOf(stub)).toEqual({ version: 1, tables: ['flow'] });
  });
});

describe('the user actor’s single-use tokens migration (V3)', () => {
  it('carries pending login codes and MFA challenges over, attempts included', async () => {
    await runInDurableObject(env.DEVICE.getByName('migrations-v3'), async (_instance, state) => {
      const sql = state.storage.sql;
      migrate(state.storage, USER_MIGRATIONS.slice(0, 2));
      const later = Date.now() + 60_000;
      sql.exec(
        'INSERT INTO login_codes (hash, expires_at, amr, provider) VALUES (?, ?, ?, ?)',
        await sha256('u1.code'),
        later,
        '["oauth"]',
        'acme',
      );
      sql.exec(
        'INSERT INTO mfa_challenges (hash, expires_at, attempts, first_factor) VALUES (?, ?, 4, ?)',
        await sha256('u1.mfa'),
        later,
        'oauth',
      );
      migrate(state.storage, USER_MIGRATIONS);
      const tokens = new SingleUseTokens(sql, 'u1');
      expect(await tokens.spend('login_code', 'u1.code')).toEqual({ amr: ['oauth'], provider: 'acme' });
      expect(await tokens.spend('login_code', 'u1.code')).toBeNull();
      expect((await tokens.attempt('mfa', 'u1.mfa')).ok).toBe(true);
      expect((await tokens.attempt('mfa', 'u1.mfa')).ok).toBe(false);
      const tables = sql.exec<{ name: string }>(
        "SELECT name FROM sqlite_master WHERE name IN ('login_codes', 'mfa_challenges')",
      );
      expect(tables.toArray()).toEqual([]);
    });
  });
});

describe('the user actor’s event log totals migration (V4)', () => {
  it('counts the events an older actor already stores, in the quota’s bytes', async () => {
    await runInDurableObject(env.DEVICE.getByName('migrations-v4'), async (_instance, state) => {
      const sql = state.storage.sql;
      migrate(state.storage, USER_MIGRATIONS.slice(0, 3));
      const insert = 'INSERT INTO events (seq, id, stream, key, payload, at) VALUES (?, ?, ?, ?, ?, 0)';
      sql.exec(insert, 1, 'e1', 's', null, '"é"');
      sql.exec(insert, 2, 'e22', 'st', 'k', '{"a":1}');
      migrate(state.storage, USER_MIGRATIONS);
      const row = sql.exec<{ events: number; bytes: number; horizon: number }>('SELECT * FROM log_state').one();
      // payload, id, stream and key in UTF-8 ("é" is two bytes), plus 48 each.
      const bytes = [4 + 2 + 1 + 0, 7 + 3 + 2 + 1].reduce((sum, n) => sum + n + 48, 0);
      expect({ events: row.events, bytes: row.bytes, horizon: row.horizon }).toEqual({ events: 2, bytes, horizon: 0 });
    });
  });
});
