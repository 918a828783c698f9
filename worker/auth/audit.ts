/** Records a security event of the caller's account with the request's address and agent. */
import { type AuditType, recordAudit } from '../../core/db/audit';
import type { RequestContext } from '../context';

export const audit = (rc: RequestContext, userId: string, type: AuditType, details?: Record<string, unknown>) =>
  recordAudit(rc.env.DB, { userId, type, ip: rc.ip, userAgent: rc.userAgent, details });
