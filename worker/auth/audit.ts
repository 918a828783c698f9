/** Records a security event of the caller's account with the request's address and agent. */
import { type AuditType, recordAudit } from '../../core/db/audit';
import { recordMetric } from '../../core/metrics';
import type { RequestContext } from '../context';
import { metricOfAudit } from './security-metrics';

export async function audit(
  rc: RequestContext,
  userId: string,
  type: AuditType,
  details?: Record<string, unknown>,
): Promise<void> {
  await recordAudit(rc.env.DB, { userId, type, ip: rc.ip, userAgent: rc.userAgent, details });
  const metric = metricOfAudit(type, details);
  if (metric) recordMetric(rc.env.METRICS, metric);
}
