/**
 * Security events as metrics: the audit trail's events that an operator charts and alerts on
 * (sign-ins by method and result, lockouts, wrong second factors, refresh token reuse).
 */
import type { AuditType } from '../../core/db/audit';
import { type MetricPoint, recordMetric } from '../../core/metrics';
import type { RequestContext } from '../context';

type SignInResult = 'ok' | 'failed' | 'locked' | 'mfa_required';

const signIn = (method: string, result: SignInResult): MetricPoint => ({ kind: 'sign_in', method, result });

/** The metric an audited event stands for, or null for events that are not charted. */
export function metricOfAudit(type: AuditType, details: Record<string, unknown> = {}): MetricPoint | null {
  const method = details.method === 'oauth' ? 'oauth' : 'password';
  switch (type) {
    case 'login_succeeded':
      return signIn(method, 'ok');
    case 'mfa_succeeded':
      return signIn('mfa', 'ok');
    case 'mfa_challenged':
      return signIn(method, 'mfa_required');
    case 'login_failed':
      return signIn(details.reason === 'password_recheck' ? 'reauth' : 'password', 'failed');
    case 'account_locked':
      return { kind: 'lockout', scope: 'account' };
    case 'mfa_failed':
      return { kind: 'mfa_failure' };
    case 'refresh_reuse_detected':
      return { kind: 'refresh_reuse' };
    default:
      return null;
  }
}

/** A sign-in attempt that no audit row records (an unknown email, or one refused while locked). */
export function recordSignIn(rc: RequestContext, method: string, result: SignInResult): void {
  recordMetric(rc.env.METRICS, signIn(method, result));
}

/** An unknown email became locked: no account, so no audit row, but the spike still shows. */
export function recordUnknownEmailLockout(rc: RequestContext): void {
  recordMetric(rc.env.METRICS, { kind: 'lockout', scope: 'unknown_email' });
}
