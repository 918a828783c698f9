/** A device row as the API shows it. */
import type { DeviceRow } from '../../core/db/devices';
import type { DeviceOut } from '../../core/schemas/devices';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const deviceView = (row: DeviceRow, online: boolean): DeviceOut => ({
  id: row.id,
  name: row.name,
  platform: row.platform,
  created_at: new Date(row.createdAt).toISOString(),
  last_seen_at: iso(row.lastSeenAt),
  online: online && row.revokedAt === null,
  revoked_at: iso(row.revokedAt),
});
