/**
 * Which of the user's devices have a live socket, as their DeviceObjects report it. Reports
 * carry a per-device stamp that only grows, so one that arrives late cannot undo a newer one.
 */
import { all } from '../shared/query';

export interface DeviceActivity {
  deviceId: string;
  online: boolean;
  /** Unix ms of the last connect or disconnect; null for a device last seen before this was kept here. */
  lastSeenAt: number | null;
}

export class Presence {
  constructor(private readonly sql: SqlStorage) {}

  /** A device connected or went away: it was seen now. */
  report(deviceId: string, online: boolean, stamp: number, now = Date.now()): void {
    this.sql.exec(
      `INSERT INTO device_presence (device_id, online, stamp, last_seen_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (device_id) DO UPDATE SET online = excluded.online, stamp = excluded.stamp,
         last_seen_at = excluded.last_seen_at
       WHERE excluded.stamp > device_presence.stamp`,
      deviceId,
      online ? 1 : 0,
      stamp,
      now,
    );
  }

  /** Every device that ever connected: online or not, and when it was last seen. */
  activity(): DeviceActivity[] {
    return all<{ device_id: string; online: number; last_seen_at: number | null }>(
      this.sql,
      'SELECT device_id, online, last_seen_at FROM device_presence ORDER BY device_id',
    ).map((row) => ({ deviceId: row.device_id, online: row.online === 1, lastSeenAt: row.last_seen_at }));
  }

  /**
   * A device whose actor said it has no socket after all (it was reset without closing them);
   * ignored when a report newer than `stamp` arrived meanwhile.
   */
  drop(deviceId: string, stamp: number): void {
    this.sql.exec('UPDATE device_presence SET online = 0 WHERE device_id = ? AND stamp = ?', deviceId, stamp);
  }

  online(): string[] {
    return this.onlineStamps().map(({ deviceId }) => deviceId);
  }

  onlineStamps(): { deviceId: string; stamp: number }[] {
    return all<{ device_id: string; stamp: number }>(
      this.sql,
      'SELECT device_id, stamp FROM device_presence WHERE online = 1 ORDER BY device_id',
    ).map((row) => ({ deviceId: row.device_id, stamp: row.stamp }));
  }
}
