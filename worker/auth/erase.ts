/** Account deletion (GDPR erasure): every actor state, socket and row of the user. */
import { eq } from 'drizzle-orm';
import { database } from '../../core/db/client';
import { listConnections } from '../../core/db/oauth-accounts';
import { devices } from '../../core/db/schema';
import { deleteUser } from '../../core/db/users';
import { log } from '../../core/log';
import type { RequestContext } from '../context';
import { revokeLater } from '../oauth/revoke';
import { userActor } from './actor';

/**
 * Sockets first, then D1 (so no device can connect again and no token prefix routes), then
 * the user's actor last, so nothing a socket or request appended meanwhile survives it. The
 * provider tokens the rows held are revoked at their providers after the answer.
 */
export async function eraseUser(rc: RequestContext, userId: string): Promise<void> {
  const owned = await database(rc.env.DB).select({ id: devices.id }).from(devices).where(eq(devices.userId, userId));
  await Promise.all(owned.map(({ id }) => rc.env.DEVICE.getByName(id).disconnect('account deleted')));
  const connections = await listConnections(rc.env.DB, userId);
  // Every other table references users with ON DELETE CASCADE.
  await deleteUser(rc.env.DB, userId);
  revokeLater(rc, connections);
  await userActor(rc, userId).erase();
  log('info', 'account deleted', { user_id: userId, request_id: rc.requestId, devices: owned.length });
}
