/**
 * The device actor's durable state, in its SQLite-backed synchronous KV: whose device it is
 * and its key, the revoked flag, the acked cursor, presence stamps and the time the handshake alarm was set for.
 */
import type { DeviceRecord } from './connect';

export class DeviceStore {
  constructor(private readonly kv: SyncKvStorage) {}

  record(): DeviceRecord | undefined {
    return this.kv.get<DeviceRecord>('record');
  }

  remember(record: DeviceRecord): void {
    this.kv.put('record', record);
  }

  revoked(): boolean {
    return this.kv.get<boolean>('revoked') === true;
  }

  markRevoked(): void {
    this.kv.put('revoked', true);
  }

  /** The highest seq the device has acked. */
  cursor(): number {
    return this.kv.get<number>('cursor') ?? 0;
  }

  advanceCursor(seq: number): void {
    if (seq > this.cursor()) this.kv.put('cursor', seq);
  }

  /** A number larger than every earlier one, to order this device's presence reports. */
  nextStamp(): number {
    const stamp = (this.kv.get<number>('stamp') ?? 0) + 1;
    this.kv.put('stamp', stamp);
    return stamp;
  }

  /** When the pending alarm was set for: sockets due by then are closed when it fires. */
  alarmAt(): number | null {
    return this.kv.get<number>('alarm_at') ?? null;
  }

  setAlarmAt(at: number | null): void {
    if (at === null) this.kv.delete('alarm_at');
    else this.kv.put('alarm_at', at);
  }
}
