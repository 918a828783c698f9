/**
 * Which of the user's devices have a live socket, as their DeviceObjects report it. Reports
 * carry a per-device stamp that only grows, so one that arrives late cannot undo a newer one.
 */
import { all } from '../shared/query';
export class Presence {
  constructor(private readonly sql: SqlStorage) {}

  report(deviceId: string, online: boolean, stamp: number): void {
    this.sql.exec(
      `INSERT INTO device_presence (device_id, online, stamp) VALUES (?, ?, ?)
       ON CONFLICT (device_id) DO UPDATE SET online = excluded.online, stamp = excluded.stamp
       WHERE excluded.stamp > device_presence.stamp`,
      deviceId,
      online ? 1 : 0,
      stamp,
    );
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
