/**
 * Configuration: every variable and secret, read and validated once. A missing or unsafe
 * value fails with the variable's name, never with its value.
 */
import * as v from 'valibot';
import { describeIssues } from './config-issues.ts';

const DEFAULT_RATE_LIMITS = {
  auth: { limit: 5, window_s: 15 * 60 },
  refresh: { limit: 60, window_s: 60 },
  api: { limit: 600, window_s: 60 },
  ws: { limit: 50, window_s: 1 },
  lockout: { limit: 5, window_s: 30 * 60 },
  connect: { limit: 30, window_s: 60 },
  admin: { limit: 10, window_s: 15 * 60 },
  provider_token: { limit: 30, window_s: 60 },
  email: { limit: 5, window_s: 60 * 60 },
} as const;

/**
 * The per-user event log's bounds: appends past `max_events` or `max_bytes` are refused
 * (507 `quota_exceeded`), far below a Durable Object's 10 GB; superseded keyed events older
 * than `compact_after_days` may be dropped (0: never).
 */
const DEFAULT_EVENT_LOG_LIMITS = {
  max_events: 1_000_000,
  max_bytes: 1024 * 1024 * 1024,
  compact_after_days: 30,
} as const;
/** The most a user's log may be allowed to hold: half of a Durable Object's storage. */
const MAX_LOG_BYTES = 5 * 1024 * 1024 * 1024;

/** Security notices the operator can turn off one by one (`EMAIL_NOTICES`). */
export const NOTICE_KINDS = [
  'account_locked',
  'password_changed',
  'password_reset',
  'mfa_enabled',
  'mfa_disabled',
  'backup_codes',
  'api_key_created',
  'device_registered',
  'new_sign_in',
  'erasure_scheduled',
] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

/** Values that are placeholders, not secrets. */
const PLACEHOLDERS = /^(changeme|change-me|secret|password|test|dev|default|example|x+|0+)$/i;

const json = <S extends v.GenericSchema>(schema: S) =>
  v.pipe(
    v.string(),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      try {
        return JSON.parse(dataset.value) as unknown;
      } catch {
        addIssue({ message: 'is not valid JSON' });
        return NEVER;
      }
    }),
    schema,
  );

/** A JSON variable that must hold an object: an array or a bare value is refused by name. */
const jsonObject = <S extends v.GenericSchema>(schema: S) =>
  json(
    v.pipe(
      v.unknown(),
      v.check((value) => typeof value === 'object' && value !== null && !Array.isArray(value), 'must be a JSON object'),
      schema,
    ),
  );

const int = (min: number, max: number, fallback: number) =>
  v.pipe(
    v.optional(v.string(), String(fallback)),
    v.transform(Number),
    v.integer('must be an integer'),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );

const origin = v.pipe(
  v.string(),
  v.check((value) => {
    try {
      return new URL(value).origin === value;
    } catch {
      return false;
    }
  }, 'must be an origin such as https://app.example.com, or *'),
);

const originList = v.pipe(
  v.optional(v.string(), ''),
  v.transform((value) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  ),
  v.array(v.union([v.literal('*'), origin], 'must be an origin such as https://app.example.com, or *')),
);

const secret = (minLength: number) =>
  v.pipe(
    v.string('is missing'),
    v.minLength(minLength, `must be at least ${minLength} characters`),
    v.check((value) => !PLACEHOLDERS.test(value), 'is a placeholder, not a secret'),
  );

const SigningKey = v.looseObject({
  kty: v.literal('EC'),
  crv: v.literal('P-256'),
  kid: v.pipe(v.string(), v.minLength(1)),
  x: v.string(),
  y: v.string(),
  d: v.pipe(v.string(), v.minLength(40, 'must be a private key (d)')),
});

/** 32 random bytes, base64url: the material of a data key. */
const dataKeyMaterial = v.pipe(
  secret(43),
  v.regex(/^[A-Za-z0-9_-]{43}$/, 'must be 32 random bytes, base64url (43 characters)'),
);

/** The id that every value sealed under the old single DATA_ENCRYPTION_KEY carries. */
export const LEGACY_DATA_KID = 'legacy';

const DataKeySchema = v.strictObject({
  kid: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,32}$/, 'must be 1 to 32 characters of A-Z a-z 0-9 _ -')),
  key: dataKeyMaterial,
});

const DataKeys = v.pipe(
  v.array(DataKeySchema, 'must be a JSON array of {"kid", "key"} objects'),
  v.minLength(1, 'must hold at least one key'),
  v.check((keys) => new Set(keys.map((k) => k.kid)).size === keys.length, 'must not repeat a kid'),
  v.check((keys) => new Set(keys.map((k) => k.key)).size === keys.length, 'must not repeat a key'),
);

const positive = 'must be an integer >= 1';
const Bucket = v.strictObject({
  limit: v.pipe(v.number(positive), v.integer(positive), v.minValue(1, positive)),
  window_s: v.pipe(v.number(positive), v.integer(positive), v.minValue(1, positive)),
});

const RateLimits = v.strictObject({
  auth: v.optional(Bucket, DEFAULT_RATE_LIMITS.auth),
  refresh: v.optional(Bucket, DEFAULT_RATE_LIMITS.refresh),
  api: v.optional(Bucket, DEFAULT_RATE_LIMITS.api),
  ws: v.optional(Bucket, DEFAULT_RATE_LIMITS.ws),
  lockout: v.optional(Bucket, DEFAULT_RATE_LIMITS.lockout),
  connect: v.optional(Bucket, DEFAULT_RATE_LIMITS.connect),
  admin: v.optional(Bucket, DEFAULT_RATE_LIMITS.admin),
  provider_token: v.optional(Bucket, DEFAULT_RATE_LIMITS.provider_token),
  email: v.optional(Bucket, DEFAULT_RATE_LIMITS.email),
});

const whole = (min: number, max: number) =>
  v.pipe(
    v.number(`must be an integer from ${min} to ${max}`),
    v.integer(`must be an integer from ${min} to ${max}`),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );

const EventLogLimits = v.strictObject({
  max_events: v.optional(whole(1, 100_000_000), DEFAULT_EVENT_LOG_LIMITS.max_events),
  max_bytes: v.optional(whole(1024, MAX_LOG_BYTES), DEFAULT_EVENT_LOG_LIMITS.max_bytes),
  compact_after_days: v.optional(whole(0, 3650), DEFAULT_EVENT_LOG_LIMITS.compact_after_days),
});
export type EventLogLimits = v.InferOutput<typeof EventLogLimits>;

/** A base URL for links in emails: http(s), no query or fragment; https outside local runs. */
const appUrl = v.pipe(
  v.string('is missing'),
  v.check((value) => {
    try {
      const url = new URL(value);
      return /^https?:$/.test(url.protocol) && !url.search && !url.hash && !url.username && !url.password;
    } catch {
      return false;
    }
  }, 'must be an http(s) URL without query, fragment or credentials, such as https://app.example.com'),
  v.transform((value) => value.replace(/\/+$/, '')),
);

const httpsUrl = v.pipe(
  v.string(),
  v.check((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), 'must be an http(s) URL'),
);

/** A Standard Webhooks signing secret: `whsec_` and base64 of 24 to 64 random bytes. */
const webhookSecret = v.pipe(
  v.string(),
  v.regex(/^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/, 'must be whsec_ followed by base64 of 24 to 64 random bytes'),
);

const NEEDED = 'is required by the chosen EMAIL_TRANSPORT';

const optional = <S extends v.GenericSchema<string, string>>(schema: S) =>
  v.optional(
    v.union([v.literal(''), schema], (issue) => issue.issues?.[1]?.message ?? 'is invalid'),
    '',
  );

const noticeList = v.pipe(
  v.optional(v.string(), 'all'),
  v.transform((value) => {
    const items = value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
    return items.length === 1 && items[0] === 'all' ? [...NOTICE_KINDS] : items.filter((item) => item !== 'none');
  }),
  v.array(v.picklist(NOTICE_KINDS, `must be all, none, or a comma list of ${NOTICE_KINDS.join(', ')}`)),
);

/** A private key for `private_key_jwt`: its `kty`, `crv` and `alg` must agree. */
const ClientKey = v.pipe(
  v.looseObject({
    kty: v.picklist(['EC', 'RSA', 'OKP']),
    crv: v.optional(v.string()),
    alg: v.picklist(['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA']),
    kid: v.optional(v.pipe(v.string(), v.minLength(1))),
    d: v.pipe(v.string(), v.minLength(32, 'must be a private key (d)')),
  }),
  v.check(
    (k) =>
      k.kty === 'EC'
        ? ({ ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' } as Record<string, string>)[k.alg] === k.crv
        : k.kty === 'RSA'
          ? /^(RS|PS)/.test(k.alg)
          : k.alg === 'EdDSA' && k.crv === 'Ed25519',
    'kty, crv and alg do not match',
  ),
);

/** A dotted path into a userinfo answer, such as `data.id` (X nests the user under `data`). */
const FieldPath = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9_]{1,64}(\.[A-Za-z0-9_]{1,64}){0,4}$/, 'must be a dotted path such as data.id'),
);

/** Where the identity is in a userinfo answer; each absent field reads the standard claim. */
const UserinfoFields = v.strictObject({
  subject: v.optional(FieldPath),
  email: v.optional(FieldPath),
  email_verified: v.optional(FieldPath),
  name: v.optional(FieldPath),
});

/** Hooks that trade the code's tokens for others (core/oauth/exchange.ts): Meta's short-lived → long-lived. */
export const TOKEN_EXCHANGE_HOOKS = ['facebook'] as const;

const TokenExchange = v.strictObject({
  hook: v.picklist(TOKEN_EXCHANGE_HOOKS),
  endpoint: v.pipe(v.string(), v.url()),
});

const OAuthProvider = v.pipe(
  v.strictObject({
    client_id: v.pipe(v.string(), v.minLength(1)),
    client_secret: v.optional(v.pipe(v.string(), v.minLength(1))),
    token_endpoint_auth_method: v.optional(
      v.picklist(['client_secret_post', 'client_secret_basic', 'private_key_jwt']),
      'client_secret_post',
    ),
    private_key_jwk: v.optional(ClientKey),
    issuer: v.optional(v.pipe(v.string(), v.url())),
    authorization_endpoint: v.optional(v.pipe(v.string(), v.url())),
    token_endpoint: v.optional(v.pipe(v.string(), v.url())),
    userinfo_endpoint: v.optional(v.pipe(v.string(), v.url())),
    /** RFC 7009: where unlinking and erasure revoke the tokens; none, no revocation. */
    revocation_endpoint: v.optional(v.pipe(v.string(), v.url())),
    jwks_uri: v.optional(v.pipe(v.string(), v.url())),
    scopes: v.optional(v.array(v.string())),
    userinfo_fields: v.optional(UserinfoFields),
    token_exchange: v.optional(TokenExchange),
  }),
  v.check(
    (p) =>
      p.token_endpoint_auth_method === 'private_key_jwt'
        ? p.private_key_jwk !== undefined
        : p.client_secret !== undefined && p.private_key_jwk === undefined,
    'needs private_key_jwk with private_key_jwt, and client_secret (without private_key_jwk) otherwise',
  ),
  v.check(
    (p) => p.token_exchange === undefined || p.client_secret !== undefined,
    'token_exchange sends the client secret: it needs client_secret',
  ),
);

const EnvSchema = v.pipe(
  v.object({
    ENVIRONMENT: v.optional(v.picklist(['development', 'test', 'staging', 'production']), 'production'),
    JWT_ISSUER: v.pipe(v.string('is missing'), v.url('must be a URL')),
    JWT_AUDIENCE: v.pipe(v.string('is missing'), v.minLength(1, 'is missing')),
    JWT_SIGNING_KEYS: json(
      v.pipe(
        v.array(SigningKey, 'must be a JSON array of private EC P-256 JWKs with kid'),
        v.minLength(1, 'must hold at least one key'),
        v.check((keys) => new Set(keys.map((k) => k.kid)).size === keys.length, 'must not repeat a kid'),
      ),
    ),
    DATA_ENCRYPTION_KEYS: v.optional(json(DataKeys)),
    /** Deprecated: the single key of before DATA_ENCRYPTION_KEYS, read as the key `legacy`. */
    DATA_ENCRYPTION_KEY: v.optional(dataKeyMaterial),
    ADMIN_TOKEN: v.optional(v.union([v.literal(''), secret(32)]), ''),
    CORS_ORIGINS: originList,
    OAUTH_REDIRECT_ALLOWLIST: originList,
    RATE_LIMITS: v.optional(jsonObject(RateLimits), '{}'),
    OAUTH_PROVIDERS: v.optional(
      jsonObject(v.record(v.pipe(v.string(), v.regex(/^[a-z0-9_-]{1,32}$/)), OAuthProvider)),
      '{}',
    ),
    REQUEST_TIMEOUT_MS: int(100, 600_000, 30_000),
    BACKUP_RETENTION: int(1, 1000, 7),
    EVENT_LOG_LIMITS: v.optional(jsonObject(EventLogLimits), '{}'),
    AUDIT_RETENTION_DAYS: int(1, 3650, 400),
    ACTOR_EXPORT_DELAY_S: int(1, 86_400, 60),
    APP_NAME: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(64)), 'durable-backend'),
    APP_VERSION: v.optional(v.string(), '0.0.0'),
    BUILD_ID: v.optional(v.string(), 'unknown'),
    SENTRY_DSN: v.optional(v.union([v.literal(''), v.pipe(v.string(), v.url('must be a URL'))]), ''),
    APP_URL: appUrl,
    EMAIL_TRANSPORT: v.optional(v.picklist(['log', 'webhook', 'cloudflare', 'resend']), 'log'),
    EMAIL_FROM: optional(v.pipe(v.string(), v.email('must be an email address'))),
    EMAIL_WEBHOOK_URL: optional(httpsUrl),
    EMAIL_WEBHOOK_SECRET: optional(webhookSecret),
    RESEND_API_KEY: optional(secret(16)),
    EMAIL_NOTICES: noticeList,
    WEBHOOK_URL: optional(httpsUrl),
    WEBHOOK_SECRET: optional(webhookSecret),
    OUTBOX_MAX_ATTEMPTS: int(1, 50, 8),
  }),
  v.forward(
    v.check(
      (env) => !['production', 'staging'].includes(env.ENVIRONMENT) || !env.CORS_ORIGINS.includes('*'),
      'must not be * in production or staging',
    ),
    ['CORS_ORIGINS'],
  ),
  v.forward(
    v.check(
      (env) => env.DATA_ENCRYPTION_KEYS !== undefined || env.DATA_ENCRYPTION_KEY !== undefined,
      'is missing (or the deprecated DATA_ENCRYPTION_KEY)',
    ),
    ['DATA_ENCRYPTION_KEYS'],
  ),
  v.forward(
    v.check(
      (env) =>
        env.DATA_ENCRYPTION_KEYS === undefined ||
        env.DATA_ENCRYPTION_KEY === undefined ||
        env.DATA_ENCRYPTION_KEYS.some((k) => k.kid === LEGACY_DATA_KID && k.key === env.DATA_ENCRYPTION_KEY),
      `must hold DATA_ENCRYPTION_KEY as kid "${LEGACY_DATA_KID}" while both are set (or delete DATA_ENCRYPTION_KEY)`,
    ),
    ['DATA_ENCRYPTION_KEYS'],
  ),
  v.forward(
    v.check(
      (env) => !['production', 'staging'].includes(env.ENVIRONMENT) || env.EMAIL_TRANSPORT !== 'log',
      'must not be log in production or staging',
    ),
    ['EMAIL_TRANSPORT'],
  ),
  v.forward(
    v.check(
      (env) => !['production', 'staging'].includes(env.ENVIRONMENT) || env.APP_URL.startsWith('https:'),
      'must be https in production and staging',
    ),
    ['APP_URL'],
  ),
  v.forward(
    v.check((env) => env.EMAIL_TRANSPORT !== 'webhook' || env.EMAIL_WEBHOOK_URL !== '', NEEDED),
    ['EMAIL_WEBHOOK_URL'],
  ),
  v.forward(
    v.check((env) => env.EMAIL_TRANSPORT !== 'webhook' || env.EMAIL_WEBHOOK_SECRET !== '', NEEDED),
    ['EMAIL_WEBHOOK_SECRET'],
  ),
  v.forward(
    v.check((env) => !['cloudflare', 'resend'].includes(env.EMAIL_TRANSPORT) || env.EMAIL_FROM !== '', NEEDED),
    ['EMAIL_FROM'],
  ),
  v.forward(
    v.check((env) => env.EMAIL_TRANSPORT !== 'resend' || env.RESEND_API_KEY !== '', NEEDED),
    ['RESEND_API_KEY'],
  ),
  v.forward(
    v.check((env) => !env.WEBHOOK_URL === !env.WEBHOOK_SECRET, 'must be set together with WEBHOOK_URL'),
    ['WEBHOOK_SECRET'],
  ),
);

type ParsedEnv = v.InferOutput<typeof EnvSchema>;
export type EmailTransport = ParsedEnv['EMAIL_TRANSPORT'];
export type RateLimitBucket = keyof typeof DEFAULT_RATE_LIMITS;
export type SigningJwk = v.InferOutput<typeof SigningKey>;
export type OAuthProviderConfig = v.InferOutput<typeof OAuthProvider>;
export type ClientKey = v.InferOutput<typeof ClientKey>;
export type UserinfoFields = v.InferOutput<typeof UserinfoFields>;
export type TokenExchangeConfig = v.InferOutput<typeof TokenExchange>;
/** One data key: an id carried by every value it seals, and 32 random bytes (base64url). */
export type DataKey = v.InferOutput<typeof DataKeySchema>;

/** The validated configuration every layer reads. */
export interface Config {
  environment: ParsedEnv['ENVIRONMENT'];
  jwt: { issuer: string; audience: string; signingKeys: SigningJwk[] };
  /** The data key ring: the first seals, every one opens (DATA_ENCRYPTION_KEYS). */
  dataKeys: DataKey[];
  adminToken: string | null;
  corsOrigins: string[];
  oauthRedirectAllowlist: string[];
  oauthProviders: Record<string, OAuthProviderConfig>;
  rateLimits: Record<RateLimitBucket, { limit: number; window_s: number }>;
  requestTimeoutMs: number;
  backupRetention: number;
  eventLogLimits: EventLogLimits;
  /** Audit entries older than this many days are deleted by the nightly maintenance run. */
  auditRetentionDays: number;
  /** A user actor exports its log to R2 this long after an append (the recovery point of actor state). */
  actorExportDelayMs: number;
  /** Shown to users, such as the issuer in authenticator apps. */
  appName: string;
  version: string;
  build: string;
  sentryDsn: string | null;
  /** Where links in emails point: `${appUrl}/verify-email?token=…` and the like. */
  appUrl: string;
  email: {
    transport: EmailTransport;
    from: string | null;
    webhook: { url: string; secret: string } | null;
    resendApiKey: string | null;
    notices: NoticeKind[];
  };
  /** Outgoing events for the app (Standard Webhooks), or null when WEBHOOK_URL is unset. */
  webhook: { url: string; secret: string } | null;
  outboxMaxAttempts: number;
}

/** Thrown at start-up; the message names the variables, never their values. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.problems = problems;
  }
}

export function parseConfig(env: Record<string, unknown>): Config {
  const result = v.safeParse(EnvSchema, env);
  if (!result.success) {
    throw new ConfigError(describeIssues(result.issues));
  }
  const e = result.output;
  return {
    environment: e.ENVIRONMENT,
    jwt: { issuer: e.JWT_ISSUER, audience: e.JWT_AUDIENCE, signingKeys: e.JWT_SIGNING_KEYS },
    dataKeys: e.DATA_ENCRYPTION_KEYS ?? [{ kid: LEGACY_DATA_KID, key: e.DATA_ENCRYPTION_KEY as string }],
    adminToken: e.ADMIN_TOKEN || null,
    corsOrigins: e.CORS_ORIGINS,
    oauthRedirectAllowlist: e.OAUTH_REDIRECT_ALLOWLIST,
    oauthProviders: e.OAUTH_PROVIDERS,
    rateLimits: e.RATE_LIMITS,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    backupRetention: e.BACKUP_RETENTION,
    eventLogLimits: e.EVENT_LOG_LIMITS,
    auditRetentionDays: e.AUDIT_RETENTION_DAYS,
    actorExportDelayMs: e.ACTOR_EXPORT_DELAY_S * 1000,
    appName: e.APP_NAME,
    version: e.APP_VERSION,
    build: e.BUILD_ID,
    sentryDsn: e.SENTRY_DSN || null,
    appUrl: e.APP_URL,
    email: {
      transport: e.EMAIL_TRANSPORT,
      from: e.EMAIL_FROM || null,
      webhook: e.EMAIL_WEBHOOK_URL ? { url: e.EMAIL_WEBHOOK_URL, secret: e.EMAIL_WEBHOOK_SECRET } : null,
      resendApiKey: e.RESEND_API_KEY || null,
      notices: e.EMAIL_NOTICES,
    },
    webhook: e.WEBHOOK_URL ? { url: e.WEBHOOK_URL, secret: e.WEBHOOK_SECRET } : null,
    outboxMaxAttempts: e.OUTBOX_MAX_ATTEMPTS,
  };
}

const cache = new WeakMap<object, Config>();

/** Parses once per environment object: the isolate's start-up, in effect. */
export function configFrom(env: object): Config {
  let config = cache.get(env);
  if (!config) {
    config = parseConfig(env as Record<string, unknown>);
    cache.set(env, config);
  }
  return config;
}
