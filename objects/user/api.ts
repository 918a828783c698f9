/**
 * The Worker's view of UserObject: the types its RPC methods take and return, and the
 * session constants the edge must agree with. The Worker imports these from here and
 * nothing else from `objects/user`.
 */

export type { AuthorizeFailure } from '../user';
export type { AuditCursor, AuditEntry, AuditInput } from './audit-trail';
export { appendInputOf } from './events';
export type { KeyUsage } from './key-usage';
export type { ProviderAccess, ProviderAccessFailure } from './oauth-token';
export type { DeviceActivity } from './presence';
export { type ClientInfo, type IssuedSession, SESSION_IDLE_MS, type SessionView } from './sessions';
