/** Account deletion (GDPR erasure): every actor state, socket and row of the user. */
import { eq } from 'drizzle-orm';
import { database } from '../../core/db/client';
import { devices } from '../../core/db/schema';
import { deleteUser } from '../../core/db/users';
import { log } from '../../core/log';
import type { RequestContext } from '../context';
import { userActor } from './actor';

export async function eraseUser(rc: RequestContext, userId: string): Promise<void> {
  // The actor first: from here on no token of the user is honoured.
  await userActor(rc, userId).erase();
  const owned = await database(rc.env.DB).select({ id: devices.id }).from(devices).where(eq(devices.userId, userId));
  await Promise.all(owned.map(({ id }) => rc.env.DEVICE.getByName(id).disconnect('account deleted')));
  // Every other table references users with ON DELETE CASCADE.
  await deleteUser(rc.env.DB, userId);
  log('info', 'account deleted', { user_id: userId, request_id: rc.requestId, devices: owned.length });
}
