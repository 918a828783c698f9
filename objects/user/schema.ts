/**
 * The user actor's own SQLite tables, as versioned steps (objects/shared/migrate.ts). Never
 * edit a step that has shipped: append a new one (ALTER TABLE …) instead.
 */
import { COUNTERS_DDL } from '../shared/counters';
import type { MigrationStep } from '../shared/migrate';
import { KEY_USAGE_DDL } from './key-usage';
import { LOGIN_CODES_DDL } from './login-codes';
import { MFA_DDL } from './mfa-challenges';
import { OAUTH_BREAKER_DDL } from './oauth-breaker';
import { OAUTH_REFRESH_DDL } from './oauth-refresh';
import { SCHEDULER_DDL } from './scheduler';

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
  COUNTERS_DDL,
  MFA_DDL,
  KEY_USAGE_DDL,
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
  SCHEDULER_DDL,
  LOGIN_CODES_DDL,
  OAUTH_REFRESH_DDL,
  OAUTH_BREAKER_DDL,
];

/** Sessions remember their last real authentication; older sessions count from their sign-in. */
const V2: MigrationStep = [
  'ALTER TABLE sessions ADD COLUMN auth_time INTEGER',
  'UPDATE sessions SET auth_time = created_at WHERE auth_time IS NULL',
];

export const USER_MIGRATIONS: readonly MigrationStep[] = [V1, V2];
