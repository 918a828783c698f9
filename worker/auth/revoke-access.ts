/**
 * Closing the other ways into an account at once: its sessions, API keys and devices (whose
 * sockets close with 1008). Used by a password change and by a verified email merge.
 */
import { revokeApiKeysOf } from '../../core/db/api-keys';
import { revokeDevicesOf } from '../../core/db/devices';
import type { RequestContext } from '../context';
import { userActor } from './actor';

export interface Revoked {
  sessions_revoked: number;
  api_keys_revoked: number;
  devices_revoked: number;
}

export interface RevokeScope {
  /** A session to leave open (the caller's own). */
  keepSessionId?: string | null;
  keepApiKeys?: boolean;
  keepDevices?: boolean;
  /** Only what was set up before this time (ms); everything when absent. */
  before?: number;
}

export async function revokeAccess(rc: RequestContext, userId: string, scope: RevokeScope): Promise<Revoked> {
  const actor = userActor(rc, userId);
  const sessions =
    scope.before === undefined
      ? await actor.revokeOtherSessions(scope.keepSessionId ?? null)
      : await actor.revokeSessionsOpenedBefore(scope.before);
  const keys = scope.keepApiKeys ? [] : await revokeApiKeysOf(rc.d1.primary(), userId, scope.before);
  const devices = scope.keepDevices ? [] : await revokeDevicesOf(rc.d1.primary(), userId, scope.before);
  await Promise.all(devices.map((id) => rc.env.DEVICE.getByName(id).revoke()));
  return { sessions_revoked: sessions, api_keys_revoked: keys.length, devices_revoked: devices.length };
}
