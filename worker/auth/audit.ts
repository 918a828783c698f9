/**
 * Records a security event of an account, with the request's address and agent, in the
 * account's own actor (the shared database stays off the path of sign-ins); counts it as a
 * metric; emails the owner the matching security notice (DESIGN.md §8) unless EMAIL_NOTICES
 * turns it off, and queues the matching event for the app's webhook when WEBHOOK_URL is set.
 */
import type { NoticeKind } from '../../core/config';
import type { AuditType } from '../../core/db/audit';
import { findUserById } from '../../core/db/users';
import { recordMetric } from '../../core/metrics';
import type { JsonValue } from '../../core/schemas/events';
import { type WebhookData, type WebhookType, webhookEvent } from '../../core/schemas/webhooks';
import type { RequestContext } from '../context';
import { userActor } from './actor';
import { metricOfAudit } from './security-metrics';

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

/** The events the app hears about, and the ids from the audit details each carries. */
const HOOKS: Partial<Record<AuditType, WebhookType>> = {
  logout: 'session.revoked',
  session_revoked: 'session.revoked',
  password_changed: 'password.changed',
  password_reset: 'password.changed',
  mfa_enabled: 'mfa.enabled',
  mfa_disabled: 'mfa.disabled',
  api_key_created: 'api_key.created',
  api_key_revoked: 'api_key.revoked',
  device_registered: 'device.registered',
  device_revoked: 'device.revoked',
};
const HOOK_IDS = ['session_id', 'device_id', 'api_key_id'] as const;

export async function audit(
  rc: RequestContext,
  userId: string,
  type: AuditType,
  details?: Record<string, JsonValue>,
): Promise<void> {
  // One call on the user's actor records the entry and queues what follows from it.
  await userActor(rc, userId).recordAudit(
    { type, ip: rc.ip, userAgent: rc.userAgent, details },
    { hook: hookOf(rc, userId, type, details), notice: await noticeOf(rc, userId, type) },
  );
  const metric = metricOfAudit(type, details);
  if (metric) recordMetric(rc.env.METRICS, metric);
}

/** The app's webhook event for an audited event, when WEBHOOK_URL is set and the event has one. */
function hookOf(rc: RequestContext, userId: string, type: AuditType, details?: Record<string, JsonValue>) {
  const event = HOOKS[type];
  if (!event || !rc.config.webhook) return null;
  const ids = HOOK_IDS.filter((key) => typeof details?.[key] === 'string').map((key) => [key, details![key]]);
  return webhookEvent(event, { user_id: userId, ...Object.fromEntries(ids) } as WebhookData<typeof event>);
}

/** The owner's security notice for an audited event, unless EMAIL_NOTICES turned it off. */
async function noticeOf(rc: RequestContext, userId: string, type: AuditType) {
  const kind = NOTICES[type];
  if (!kind || !rc.config.email.notices.includes(kind)) return null;
  const email = rc.profile?.id === userId ? rc.profile.email : (await findUserById(rc.env.DB, userId))?.email;
  return email ? { kind, to: email } : null;
}
