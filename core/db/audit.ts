/** The kinds of security events in an account's audit trail. */
import { and, eq, inArray, lt } from 'drizzle-orm';
import { database } from './client';
import { auditLog } from './schema';

export type AuditType =
  | 'signup'
  | 'login_succeeded'
  | 'login_failed'
  | 'account_locked'
  | 'logout'
  | 'session_revoked'
  | 'refresh_reuse_detected'
  | 'password_changed'
  | 'profile_updated'
  | 'mfa_enrolment_started'
  | 'mfa_enabled'
  | 'mfa_disabled'
  | 'mfa_challenged'
  | 'mfa_succeeded'
  | 'mfa_failed'
  | 'backup_code_used'
  | 'backup_codes_regenerated'
  | 'api_key_created'
  | 'api_key_rotated'
  | 'api_key_revoked'
  | 'reauthenticated'
  | 'oauth_linked'
  | 'oauth_merged'
  | 'oauth_unlinked'
  | 'oauth_reauth_required'
  | 'oauth_token_read'
  | 'device_registered'
  | 'device_revoked'
  | 'email_verification_sent'
  | 'email_verified'
  | 'password_reset_requested'
  | 'password_reset'
  | 'email_change_requested'
  | 'email_changed'
  | 'email_change_undone';

/**
 * The audit trail lives in each user's actor (objects/user/audit-trail.ts). D1's `audit_log`
 * only holds rows written before it moved there; each actor takes its rows over once.
 */
export interface LegacyAuditRow {
  id: string;
  type: string;
  ip: string | null;
  user_agent: string | null;
  details: string | null;
  created_at: number;
}

export async function takeLegacyAudit(db: D1Database, userId: string): Promise<LegacyAuditRow[]> {
  const rows = await database(db).select().from(auditLog).where(eq(auditLog.userId, userId));
  return rows.map((r) => ({
    id: r.id,
    type: r.type,
    ip: r.ip,
    user_agent: r.userAgent,
    details: r.details ? JSON.stringify(r.details) : null,
    created_at: r.createdAt,
  }));
}

/** Deletes the legacy rows `ids` (those taken over), in batches under D1's bound-parameter limit. */
export async function deleteLegacyAudit(db: D1Database, userId: string, ids: readonly string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 90) {
    const batch = ids.slice(i, i + 90);
    await database(db)
      .delete(auditLog)
      .where(and(eq(auditLog.userId, userId), inArray(auditLog.id, batch)));
  }
}

/** Deletes every entry recorded before `before` (AUDIT_RETENTION_DAYS); answers how many went. */
export async function pruneAudit(db: D1Database, before: number): Promise<number> {
  const result = await database(db).delete(auditLog).where(lt(auditLog.createdAt, before)).run();
  return result.meta.changes ?? 0;
}
