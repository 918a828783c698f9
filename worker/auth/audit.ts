/**
 * Records a security event of an account, with the request's address and agent, in the
 * account's own actor (the shared database stays off the path of sign-ins).
 */
import type { AuditType } from '../../core/db/audit';
import { recordMetric } from '../../core/metrics';
import type { JsonValue } from '../../core/schemas/events';
import type { RequestContext } from '../context';
import { userActor } from './actor';
import { metricOfAudit } from './security-metrics';

export async function audit(
  rc: RequestContext,
  userId: string,
  type: AuditType,
  details?: Record<string, JsonValue>,
): Promise<void> {
  await userActor(rc, userId).recordAudit({ type, ip: rc.ip, userAgent: rc.userAgent, details });
  const metric = metricOfAudit(type, details);
  if (metric) recordMetric(rc.env.METRICS, metric);
}
