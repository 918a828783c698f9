/** The account's security events, in D1 so they can be listed newest first. */
import { and, desc, eq, lt, or } from 'drizzle-orm';
import { randomId } from '../encoding';
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
  | 'device_registered'
  | 'device_revoked'
  | 'email_verification_sent'
  | 'email_verified'
  | 'password_reset_requested'
  | 'password_reset'
  | 'email_change_requested'
  | 'email_changed'
  | 'email_change_undone';

export interface AuditEntry {
  userId: string;
  type: AuditType;
  ip?: string | null;
  userAgent?: string | null;
  details?: Record<string, unknown>;
}

export async function recordAudit(db: D1Database, entry: AuditEntry, now = Date.now()): Promise<void> {
  await database(db)
    .insert(auditLog)
    .values({
      id: randomId(),
      userId: entry.userId,
      type: entry.type,
      ip: entry.ip ?? null,
      userAgent: entry.userAgent?.slice(0, 512) ?? null,
      details: entry.details ?? null,
      createdAt: now,
    });
}

export interface AuditCursor {
  createdAt: number;
  id: string;
}

/** Newest first; `before` continues after the last event of the previous page. */
export async function listAudit(db: D1Database, userId: string, limit: number, before: AuditCursor | null) {
  const rows = await database(db)
    .select()
    .from(auditLog)
    .where(
      and(
        eq(auditLog.userId, userId),
        before
          ? or(
              lt(auditLog.createdAt, before.createdAt),
              and(eq(auditLog.createdAt, before.createdAt), lt(auditLog.id, before.id)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(auditLog.createdAt), desc(auditLog.id))
    .limit(limit + 1);
  return { rows: rows.slice(0, limit), more: rows.length > limit };
}
