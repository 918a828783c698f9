/**
 * D1 tables: what must be queried across users. Times are Unix milliseconds.
 * Migrations in migrations/ are generated from this file by drizzle-kit.
 */
import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

const createdAt = () => integer('created_at').notNull();
const userRef = () =>
  text('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' });

export const users = sqliteTable(
  'users',
  {
    id: text('id').primaryKey(),
    email: text('email').notNull(),
    emailVerified: integer('email_verified', { mode: 'boolean' }).notNull().default(false),
    name: text('name'),
    /** argon2id PHC string; null for accounts that only sign in through OAuth. */
    passwordHash: text('password_hash'),
    mfaEnabled: integer('mfa_enabled', { mode: 'boolean' }).notNull().default(false),
    createdAt: createdAt(),
    updatedAt: integer('updated_at').notNull(),
    /**
     * When this backend itself proved the address (an emailed link); null: never. A provider's
     * word that the email is verified never sets it. Only such an account takes automatic links.
     */
    emailVerifiedAt: integer('email_verified_at'),
    /** When the password was last set; null: before this was recorded, or no password. */
    passwordSetAt: integer('password_set_at'),
  },
  (t) => [uniqueIndex('users_email_unique').on(sql`lower(${t.email})`)],
);

export const devices = sqliteTable(
  'devices',
  {
    id: text('id').primaryKey(),
    userId: userRef(),
    name: text('name').notNull(),
    platform: text('platform'),
    /** The device's public JWK (EC P-256 or OKP Ed25519), JSON. */
    publicKey: text('public_key').notNull(),
    createdAt: createdAt(),
    lastSeenAt: integer('last_seen_at'),
    revokedAt: integer('revoked_at'),
  },
  (t) => [
    index('devices_user').on(t.userId),
    uniqueIndex('devices_live_name_unique').on(t.userId, sql`lower(${t.name})`).where(sql`revoked_at is null`),
  ],
);

export const oauthAccounts = sqliteTable(
  'oauth_accounts',
  {
    id: text('id').primaryKey(),
    userId: userRef(),
    provider: text('provider').notNull(),
    providerUserId: text('provider_user_id').notNull(),
    email: text('email'),
    emailVerified: integer('email_verified', { mode: 'boolean' }).notNull().default(false),
    /** AES-GCM ciphertexts under the data key ring (core/crypto-box.ts). */
    accessTokenEnc: text('access_token_enc'),
    refreshTokenEnc: text('refresh_token_enc'),
    expiresAt: integer('expires_at'),
    /** The scope granted with the tokens, space-separated, as the provider said (or as asked). */
    scope: text('scope'),
    status: text('status', { enum: ['ok', 'refreshing', 'reauth_required'] })
      .notNull()
      .default('ok'),
    lastRefreshedAt: integer('last_refreshed_at'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('oauth_provider_identity_unique').on(t.provider, t.providerUserId),
    uniqueIndex('oauth_user_provider_unique').on(t.userId, t.provider),
  ],
);

export const mfaTotp = sqliteTable('mfa_totp', {
  userId: text('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  /** AES-GCM ciphertext of the base32 secret. */
  secretEnc: text('secret_enc').notNull(),
  confirmedAt: integer('confirmed_at'),
  /** The last accepted 30 s step: a code is accepted once only. */
  lastUsedStep: integer('last_used_step'),
  createdAt: createdAt(),
});

export const mfaBackupCodes = sqliteTable(
  'mfa_backup_codes',
  {
    id: text('id').primaryKey(),
    userId: userRef(),
    codeHash: text('code_hash').notNull(),
    usedAt: integer('used_at'),
    createdAt: createdAt(),
  },
  (t) => [index('mfa_backup_codes_user').on(t.userId)],
);

export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    userId: userRef(),
    name: text('name').notNull(),
    /** The first characters of the key, shown in lists so a user can tell keys apart. */
    prefix: text('prefix').notNull(),
    keyHash: text('key_hash').notNull(),
    /** The replaced secret's hash stays valid until previous_expires_at (rotation grace). */
    previousKeyHash: text('previous_key_hash'),
    previousExpiresAt: integer('previous_expires_at'),
    scopes: text('scopes', { mode: 'json' }).$type<string[]>().notNull(),
    createdAt: createdAt(),
    lastUsedAt: integer('last_used_at'),
    useCount: integer('use_count').notNull().default(0),
    expiresAt: integer('expires_at'),
    revokedAt: integer('revoked_at'),
  },
  (t) => [
    index('api_keys_user').on(t.userId),
    uniqueIndex('api_keys_hash_unique').on(t.keyHash),
    index('api_keys_previous_hash').on(t.previousKeyHash),
  ],
);

export const auditLog = sqliteTable(
  'audit_log',
  {
    id: text('id').primaryKey(),
    userId: userRef(),
    type: text('type').notNull(),
    ip: text('ip'),
    userAgent: text('user_agent'),
    details: text('details', { mode: 'json' }).$type<Record<string, unknown>>(),
    createdAt: createdAt(),
  },
  // The second index serves pruning by age across users (AUDIT_RETENTION_DAYS).
  (t) => [index('audit_log_user_time').on(t.userId, t.createdAt), index('audit_log_created').on(t.createdAt)],
);

export const backups = sqliteTable(
  'backups',
  {
    id: text('id').primaryKey(),
    status: text('status', { enum: ['running', 'complete', 'failed'] }).notNull(),
    prefix: text('prefix').notNull(),
    startedAt: integer('started_at').notNull(),
    finishedAt: integer('finished_at'),
    tables: text('tables', { mode: 'json' })
      .$type<{ name: string; rows: number; sha256: string; key: string }[]>()
      .notNull()
      .default(sql`'[]'`),
    error: text('error'),
    /** Users whose actor state the run covers (rows of `user_exports` in its export), and their events. */
    users: integer('users'),
    events: integer('events'),
  },
  (t) => [index('backups_started').on(t.startedAt)],
);

/**
 * Each user actor's last export to R2 (objects/user/log-export.ts): exported with the other
 * tables, so a backup's copy of this table is the cut of every user's log that it covers.
 */
export const userExports = sqliteTable('user_exports', {
  userId: text('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  /** The chain of segments (a base and its deltas) that holds the log up to `lastSeq`. */
  chain: integer('chain').notNull(),
  lastSeq: integer('last_seq').notNull(),
  /** Events in that chain up to `lastSeq`: what a restore loads. */
  events: integer('events').notNull(),
  segments: integer('segments').notNull(),
  updatedAt: integer('updated_at').notNull(),
  /** The audit trail's object as of the same export (null: exported before the trail was backed up). */
  auditKey: text('audit_key'),
  /** Entries in that object: what a restore loads into the trail. */
  auditEntries: integer('audit_entries'),
});

/**
 * Outbox messages parked after too many failed deliveries: the operator's view across users.
 * The message itself stays in its user's actor (objects/user/outbox.ts), which a retry revives.
 */
export const outboxDead = sqliteTable(
  'outbox_dead',
  {
    id: text('id').primaryKey(),
    /** No foreign key: an account's `user.deleted` event outlives its row. Erasure deletes these rows. */
    userId: text('user_id').notNull(),
    channel: text('channel', { enum: ['email', 'hook'] }).notNull(),
    kind: text('kind').notNull(),
    attempts: integer('attempts').notNull(),
    lastError: text('last_error').notNull(),
    deadAt: integer('dead_at').notNull(),
  },
  (t) => [index('outbox_dead_at').on(t.deadAt), index('outbox_dead_user').on(t.userId)],
);
