/**
 * Records a security event of the caller's account with the request's address and agent, and
 * emails the owner the matching security notice (DESIGN.md §8) unless EMAIL_NOTICES turns it off.
 */
import type { NoticeKind } from '../../core/config';
import { type AuditType, recordAudit } from '../../core/db/audit';
import { findUserById } from '../../core/db/users';
import type { RequestContext } from '../context';
import { userActor } from './actor';

/** The events the owner hears about by email, and the notice each sends. */
const NOTICES: Partial<Record<AuditType, NoticeKind>> = {
  account_locked: 'account_locked',
  password_changed: 'password_changed',
  mfa_enabled: 'mfa_enabled',
  mfa_disabled: 'mfa_disabled',
  backup_codes_regenerated: 'backup_codes',
  api_key_created: 'api_key_created',
  device_registered: 'device_registered',
};

export async function audit(rc: RequestContext, userId: string, type: AuditType, details?: Record<string, unknown>) {
  await recordAudit(rc.env.DB, { userId, type, ip: rc.ip, userAgent: rc.userAgent, details });
  const notice = NOTICES[type];
  if (!notice || !rc.config.email.notices.includes(notice)) return;
  const email = rc.profile?.id === userId ? rc.profile.email : (await findUserById(rc.env.DB, userId))?.email;
  if (email) await userActor(rc, userId).notify(notice, email);
}
