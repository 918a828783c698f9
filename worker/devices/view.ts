/** A device row as the API shows it. */
import type { DeviceRow } from '../../core/db/devices';
import type { DeviceOut } from '../../core/schemas/devices';
import { isoOrNull } from '../../core/time';

export const deviceView = (row: DeviceRow, online: boolean): DeviceOut => ({
  id: row.id,
  name: row.name,
  platform: row.platform,
  created_at: new Date(row.createdAt).toISOString(),
  last_seen_at: isoOrNull(row.lastSeenAt),
  online: online && row.revokedAt === null,
  revoked_at: isoOrNull(row.revokedAt),
});
