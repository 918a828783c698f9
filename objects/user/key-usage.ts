/**
 * API key usage counted in the actor and written to D1 in batches by the alarm, so a
 * request authenticated by a key does not wait on a D1 write.
 */
import { all } from '../shared/query';
export const KEY_USAGE_FLUSH_MS = 30_000;

export interface KeyUsage {
  id: string;
  count: number;
  lastUsedAt: number;
}

export class KeyUsageCounter {
  constructor(private readonly sql: SqlStorage) {}

  record(keyId: string, now = Date.now()): void {
    this.sql.exec(
      `INSERT INTO api_key_usage (key_id, count, last_used_at) VALUES (?, 1, ?)
       ON CONFLICT(key_id) DO UPDATE SET count = count + 1, last_used_at = excluded.last_used_at`,
      keyId,
      now,
    );
  }

  pending(): KeyUsage[] {
    return all<{ key_id: string; count: number; last_used_at: number }>(
      this.sql,
      'SELECT key_id, count, last_used_at FROM api_key_usage',
    ).map((r) => ({ id: r.key_id, count: r.count, lastUsedAt: r.last_used_at }));
  }

  /** Forgets what has been written to D1 (only those counts: new uses may have arrived meanwhile). */
  clear(flushed: KeyUsage[]): void {
    for (const usage of flushed) {
      this.sql.exec('UPDATE api_key_usage SET count = count - ? WHERE key_id = ?', usage.count, usage.id);
    }
    this.sql.exec('DELETE FROM api_key_usage WHERE count <= 0');
  }
}
