/**
 * The user actor's own SQLite tables, as versioned steps (objects/shared/migrate.ts). Never
 * edit a step that has shipped: append a new one (ALTER TABLE …) instead. Each step spells out
 * its SQL, so a change to a feature file can never change a shipped step.
 */
import type { MigrationStep } from '../shared/migrate';

const V1: MigrationStep = [
  `CREATE TABLE IF NOT EXISTS profile (
     singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
     data TEXT NOT NULL
   )`,
  `CREATE TABLE IF NOT EXISTS sessions (
     id TEXT PRIMARY KEY,
     created_at INTEGER NOT NULL,
     last_used_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     absolute_expires_at INTEGER NOT NULL,
     user_agent TEXT,
     ip TEXT,
     amr TEXT NOT NULL,
     refresh_key TEXT NOT NULL,
     revoked_at INTEGER
   )`,
  `CREATE TABLE IF NOT EXISTS refresh_tokens (
     hash TEXT PRIMARY KEY,
     session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
     created_at INTEGER NOT NULL,
     used_at INTEGER
   )`,
  'CREATE INDEX IF NOT EXISTS refresh_tokens_session ON refresh_tokens (session_id)',
  `CREATE TABLE IF NOT EXISTS login_guard (
     singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
     failures INTEGER NOT NULL,
     locked_until INTEGER
   )`,
  `CREATE TABLE IF NOT EXISTS factor_guard (
     singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
     failures INTEGER NOT NULL,
     locked_until INTEGER
   )`,
  'CREATE TABLE IF NOT EXISTS counters (bucket TEXT PRIMARY KEY, window_start INTEGER NOT NULL, count INTEGER NOT NULL)',
  `CREATE TABLE IF NOT EXISTS mfa_challenges (
  hash TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  first_factor TEXT NOT NULL DEFAULT 'pwd'
)`,
  `CREATE TABLE IF NOT EXISTS api_key_usage (
  key_id TEXT PRIMARY KEY,
  count INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL
)`,
  `CREATE TABLE IF NOT EXISTS events (
     seq INTEGER PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     device_id TEXT,
     stream TEXT NOT NULL,
     key TEXT,
     version INTEGER,
     payload TEXT NOT NULL,
     at INTEGER NOT NULL,
     expires_at INTEGER
   )`,
  `CREATE TABLE IF NOT EXISTS event_keys (
     stream TEXT NOT NULL,
     key TEXT NOT NULL,
     version INTEGER NOT NULL,
     seq INTEGER NOT NULL,
     PRIMARY KEY (stream, key)
   )`,
  `CREATE TABLE IF NOT EXISTS device_presence (
     device_id TEXT PRIMARY KEY,
     online INTEGER NOT NULL,
     stamp INTEGER NOT NULL
   )`,
  // OAuth login codes, token refresh tracking and breakers, and the shared alarm's job table.
  `CREATE TABLE IF NOT EXISTS scheduled_jobs (
  job TEXT PRIMARY KEY,
  due_at INTEGER NOT NULL
)`,
  `CREATE TABLE IF NOT EXISTS login_codes (
  hash TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL,
  amr TEXT NOT NULL,
  provider TEXT NOT NULL
)`,
  `CREATE TABLE IF NOT EXISTS oauth_refresh (
  provider TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  due_at INTEGER NOT NULL,
  failures INTEGER NOT NULL DEFAULT 0
)`,
  `CREATE TABLE IF NOT EXISTS oauth_breaker (
  provider TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  open_until INTEGER NOT NULL
)`,
];

/** Sessions remember their last real authentication; older sessions count from their sign-in. */
const V2: MigrationStep = [
  'ALTER TABLE sessions ADD COLUMN auth_time INTEGER',
  'UPDATE sessions SET auth_time = created_at WHERE auth_time IS NULL',
];

/** Login codes and MFA challenges become one table of single-use tokens (user/single-use-tokens.ts). */
const V3: MigrationStep = [
  `CREATE TABLE single_use_tokens (
     hash TEXT PRIMARY KEY,
     purpose TEXT NOT NULL,
     expires_at INTEGER NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     data TEXT NOT NULL
   )`,
  `INSERT INTO single_use_tokens (hash, purpose, expires_at, data)
     SELECT hash, 'login_code', expires_at, json_object('amr', json(amr), 'provider', provider) FROM login_codes`,
  `INSERT INTO single_use_tokens (hash, purpose, expires_at, attempts, data)
     SELECT hash, 'mfa', expires_at, attempts, json_object('firstFactor', first_factor) FROM mfa_challenges`,
  'DROP TABLE login_codes',
  'DROP TABLE mfa_challenges',
];

/**
 * Bounded growth and backups of the event log: running totals, the head (purging the newest
 * events must not hand their seqs out again) and the compaction horizon,
 * indexes for purging and compaction, and the segments exported to R2 (user/log-export.ts).
 * A row's bytes are counted as in user/log-state.ts (ROW_BYTES_SQL).
 */
const V4: MigrationStep = [
  `CREATE TABLE log_state (
     singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
     events INTEGER NOT NULL,
     bytes INTEGER NOT NULL,
     horizon INTEGER NOT NULL DEFAULT 0,
     head INTEGER NOT NULL DEFAULT 0,
     chain_floor INTEGER NOT NULL DEFAULT 0
   )`,
  `INSERT INTO log_state (singleton, events, bytes, horizon, head)
     SELECT 1, COUNT(*), COALESCE(SUM(LENGTH(CAST(payload AS BLOB)) + LENGTH(CAST(id AS BLOB))
       + LENGTH(CAST(stream AS BLOB)) + COALESCE(LENGTH(CAST(key AS BLOB)), 0) + 48), 0), 0, COALESCE(MAX(seq), 0) FROM events`,
  'CREATE INDEX events_keyed ON events (stream, key, seq) WHERE key IS NOT NULL',
  'CREATE INDEX events_expiry ON events (expires_at) WHERE expires_at IS NOT NULL',
  `CREATE TABLE log_segments (
     key TEXT PRIMARY KEY,
     chain INTEGER NOT NULL,
     kind TEXT NOT NULL,
     first_seq INTEGER NOT NULL,
     last_seq INTEGER NOT NULL,
     events INTEGER NOT NULL,
     bytes INTEGER NOT NULL,
     sha256 TEXT NOT NULL,
     state_key TEXT NOT NULL,
     state_sha256 TEXT NOT NULL,
     written_at INTEGER NOT NULL,
     reported INTEGER NOT NULL DEFAULT 0,
     superseded_at INTEGER
   )`,
];

/**
 * Per-user history leaves D1: the audit trail (user/audit-trail.ts) and each device's
 * `last_seen_at` (user/presence.ts) are kept here.
 */
const V5: MigrationStep = [
  `CREATE TABLE audit_log (
     id TEXT PRIMARY KEY,
     type TEXT NOT NULL,
     ip TEXT,
     user_agent TEXT,
     details TEXT,
     created_at INTEGER NOT NULL
   )`,
  'CREATE INDEX audit_log_time ON audit_log (created_at, id)',
  'ALTER TABLE device_presence ADD COLUMN last_seen_at INTEGER',
];

/**
 * The transactional outbox (user/outbox.ts): emails and app webhooks written in the same
 * transaction as the change that causes them, delivered by the alarm in `seq` order per channel;
 * and the clients seen signing in, for the notice of a sign-in from a new device or address.
 */
const V6: MigrationStep = [
  `CREATE TABLE outbox (
     seq INTEGER PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     channel TEXT NOT NULL,
     body TEXT NOT NULL,
     status TEXT NOT NULL DEFAULT 'pending',
     attempts INTEGER NOT NULL DEFAULT 0,
     next_at INTEGER NOT NULL,
     last_error TEXT,
     created_at INTEGER NOT NULL
   )`,
  'CREATE INDEX outbox_channel_status ON outbox (channel, status, seq)',
  // Hashes of the addresses and agents that signed in (user/known-clients.ts): the new_sign_in notice.
  'CREATE TABLE known_clients (hash TEXT PRIMARY KEY, last_seen INTEGER NOT NULL)',
];

/** The audit trail's exports to R2 (user/audit-export.ts), beside the log's segments. */
const V7: MigrationStep = [
  `CREATE TABLE audit_exports (
     key TEXT PRIMARY KEY,
     chain INTEGER NOT NULL,
     revision INTEGER NOT NULL,
     entries INTEGER NOT NULL,
     bytes INTEGER NOT NULL,
     sha256 TEXT NOT NULL,
     written_at INTEGER NOT NULL,
     reported INTEGER NOT NULL DEFAULT 0,
     superseded_at INTEGER
   )`,
];

export const USER_MIGRATIONS: readonly MigrationStep[] = [V1, V2, V3, V4, V5, V6, V7];
