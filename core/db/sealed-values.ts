/**
 * Every value in D1 sealed with the data key ring, by field: opening one (and sealing it again
 * under the current key when an older key had sealed it), pages of the values not yet under a
 * key, and how many remain. Writes are conditional on the value read, so a concurrent change
 * (a refresh, a new enrolment) always stands.
 */
import { and, asc, eq, gt, isNotNull, ne, type SQL, sql } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { type DataKey, seal, sealedPrefix, unseal } from '../crypto-box';
import { log } from '../log';
import { tokenContext } from '../oauth/sealing';
import { totpContext } from '../totp';
import { database } from './client';
import { mfaTotp, oauthAccounts } from './schema';

export const SEALED_FIELDS = ['totp_secret', 'oauth_access_token', 'oauth_refresh_token'] as const;
export type SealedField = (typeof SEALED_FIELDS)[number];

interface FieldSpec {
  table: typeof mfaTotp | typeof oauthAccounts;
  /** The row's primary key. */
  key: SQLiteColumn;
  value: SQLiteColumn;
  /** The value's property in the drizzle table. */
  property: 'secretEnc' | 'accessTokenEnc' | 'refreshTokenEnc';
  /** The context (additional data) the value is sealed with, from the row's user and provider. */
  context: (row: { userId: string; provider: string | null }) => string;
}

const FIELDS: Record<SealedField, FieldSpec> = {
  totp_secret: {
    table: mfaTotp,
    key: mfaTotp.userId,
    value: mfaTotp.secretEnc,
    property: 'secretEnc',
    context: (row) => totpContext(row.userId),
  },
  oauth_access_token: {
    table: oauthAccounts,
    key: oauthAccounts.id,
    value: oauthAccounts.accessTokenEnc,
    property: 'accessTokenEnc',
    context: (row) => tokenContext(row.userId, row.provider ?? '', 'access'),
  },
  oauth_refresh_token: {
    table: oauthAccounts,
    key: oauthAccounts.id,
    value: oauthAccounts.refreshTokenEnc,
    property: 'refreshTokenEnc',
    context: (row) => tokenContext(row.userId, row.provider ?? '', 'refresh'),
  },
};

const providerOf = (spec: FieldSpec): SQL<string | null> =>
  spec.table === oauthAccounts ? sql<string>`${oauthAccounts.provider}` : sql<null>`null`;
const userOf = (spec: FieldSpec): SQLiteColumn =>
  spec.table === oauthAccounts ? oauthAccounts.userId : mfaTotp.userId;

/** Values not sealed under `kid` (older keys, the key-less `v1` form, or unreadable ones). */
const notUnder = (spec: FieldSpec, kid: string): SQL =>
  and(isNotNull(spec.value), ne(sql`substr(${spec.value}, 1, ${sealedPrefix(kid).length})`, sealedPrefix(kid))) as SQL;

/**
 * Replaces a sealed value with `to` if it still holds `from`; false when it changed meanwhile.
 */
export async function replaceSealed(
  db: D1Database,
  field: SealedField,
  key: string,
  from: string,
  to: string,
): Promise<boolean> {
  const spec = FIELDS[field];
  const result = await database(db)
    .update(spec.table)
    .set({ [spec.property]: to })
    .where(and(eq(spec.key, key), eq(spec.value, from)));
  return result.meta.changes === 1;
}

/** One sealed value: its field, its row's key, and the context it is sealed with. */
export interface SealedValue {
  field: SealedField;
  key: string;
  value: string;
  context: string;
}

/** Up to `limit` values of `field` not under `kid`, in key order after `after`. */
export async function valuesNotUnder(
  db: D1Database,
  field: SealedField,
  kid: string,
  after: string | null,
  limit: number,
): Promise<SealedValue[]> {
  const spec = FIELDS[field];
  const rows = await database(db)
    .select({
      key: sql<string>`${spec.key}`,
      value: sql<string>`${spec.value}`,
      userId: sql<string>`${userOf(spec)}`,
      provider: providerOf(spec),
    })
    .from(spec.table)
    .where(after === null ? notUnder(spec, kid) : and(notUnder(spec, kid), gt(spec.key, after)))
    .orderBy(asc(spec.key))
    .limit(limit);
  return rows.map((row) => ({ field, key: row.key, value: row.value, context: spec.context(row) }));
}

/** How many values of each field are not under `kid`. */
export async function countNotUnder(db: D1Database, kid: string): Promise<Record<SealedField, number>> {
  const counts = await Promise.all(
    SEALED_FIELDS.map(async (field) => {
      const spec = FIELDS[field];
      const row = await database(db)
        .select({ n: sql<number>`count(*)` })
        .from(spec.table)
        .where(notUnder(spec, kid))
        .get();
      return [field, row?.n ?? 0] as const;
    }),
  );
  return Object.fromEntries(counts) as Record<SealedField, number>;
}

/**
 * Opens one value; one sealed under an older key is sealed again under the current key
 * (best effort: a failed write leaves it for the next read or the sweep).
 */
export async function openSealed(
  db: D1Database,
  keys: readonly DataKey[],
  field: SealedField,
  key: string,
  sealed: string,
  owner: { userId: string; provider: string | null } = { userId: key, provider: null },
): Promise<string | null> {
  const context = FIELDS[field].context(owner);
  const opened = await unseal(keys, sealed, context);
  if (!opened) return null;
  if (opened.stale) {
    try {
      await replaceSealed(db, field, key, sealed, await seal(keys, opened.plaintext, context));
    } catch {
      log('warn', 'sealed value could not be re-sealed', { field });
    }
  }
  return opened.plaintext;
}
