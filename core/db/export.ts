/**
 * What D1 holds about one user, for the GDPR access export (the user's actor adds its share:
 * sessions, events, the audit trail). Secrets and hashes are left out.
 */
import { asc, eq } from 'drizzle-orm';
import { isoOrNull } from '../time';
import { database } from './client';
import { apiKeys, devices, mfaTotp, oauthAccounts, users } from './schema';

/** `lastSeenAt`: each device's last connect or disconnect, which the user's actor keeps. */
export async function exportUserRows(db: D1Database, userId: string, lastSeenAt: ReadonlyMap<string, number | null>) {
  const d = database(db);
  const [user, deviceRows, oauthRows, keyRows, mfaRow] = await Promise.all([
    d.select().from(users).where(eq(users.id, userId)).get(),
    d.select().from(devices).where(eq(devices.userId, userId)).orderBy(asc(devices.createdAt)),
    d.select().from(oauthAccounts).where(eq(oauthAccounts.userId, userId)),
    d.select().from(apiKeys).where(eq(apiKeys.userId, userId)),
    d.select().from(mfaTotp).where(eq(mfaTotp.userId, userId)).get(),
  ]);
  if (!user) return null;
  return {
    user: {
      id: user.id,
      email: user.email,
      email_verified: user.emailVerified,
      email_verified_at: isoOrNull(user.emailVerifiedAt),
      name: user.name,
      mfa_enabled: user.mfaEnabled,
      has_password: user.passwordHash !== null,
      created_at: isoOrNull(user.createdAt),
      updated_at: isoOrNull(user.updatedAt),
    },
    devices: deviceRows.map((r) => ({
      id: r.id,
      name: r.name,
      platform: r.platform,
      public_key: JSON.parse(r.publicKey) as unknown,
      created_at: isoOrNull(r.createdAt),
      last_seen_at: isoOrNull(lastSeenAt.get(r.id) ?? r.lastSeenAt),
      revoked_at: isoOrNull(r.revokedAt),
    })),
    connections: oauthRows.map((r) => ({
      provider: r.provider,
      provider_user_id: r.providerUserId,
      email: r.email,
      status: r.status,
      created_at: isoOrNull(r.createdAt),
    })),
    api_keys: keyRows.map((r) => ({
      id: r.id,
      name: r.name,
      prefix: r.prefix,
      scopes: r.scopes,
      created_at: isoOrNull(r.createdAt),
      last_used_at: isoOrNull(r.lastUsedAt),
      expires_at: isoOrNull(r.expiresAt),
      revoked_at: isoOrNull(r.revokedAt),
    })),
    mfa: mfaRow ? { totp_confirmed_at: isoOrNull(mfaRow.confirmedAt) } : null,
  };
}
