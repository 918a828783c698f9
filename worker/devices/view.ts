/** A device row as the API shows it, with what the user's actor knows of its sockets. */
import type { DeviceRow } from '../../core/db/devices';
import type { DeviceOut } from '../../core/schemas/devices';
import { isoOrNull } from '../../core/time';
import type { DeviceActivity } from '../../objects/user/api';

export const deviceView = (row: DeviceRow, activity: DeviceActivity | undefined): DeviceOut => ({
  id: row.id,
  name: row.name,
  platform: row.platform,
  created_at: new Date(row.createdAt).toISOString(),
  // Kept in the user's actor; D1's column only holds what was recorded before it moved there.
  last_seen_at: isoOrNull(activity?.lastSeenAt ?? row.lastSeenAt),
  online: (activity?.online ?? false) && row.revokedAt === null,
  revoked_at: isoOrNull(row.revokedAt),
});
