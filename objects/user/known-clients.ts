/**
 * The addresses and user agents the account signed in from, kept as SHA-256 hashes (the newest
 * 100): a sign-in from one not seen before is a "new device or address" (DESIGN.md §8).
 */
import { sha256 } from '../../core/encoding';
import { one } from '../shared/query';
import type { ClientInfo } from './sessions';

const KEEP = 100;

export class KnownClients {
  constructor(private readonly sql: SqlStorage) {}

  /** Records a sign-in's client; true when its address or agent is new to an account that had signed in before. */
  async signedIn(client: ClientInfo, now = Date.now()): Promise<boolean> {
    const keys = [client.ip && `ip:${client.ip}`, client.userAgent && `ua:${client.userAgent}`].filter(
      (key): key is string => Boolean(key),
    );
    const hashes = await Promise.all(keys.map(sha256));
    const before = one(this.sql, 'SELECT 1 AS known FROM known_clients LIMIT 1') !== undefined;
    const unseen = hashes.some((hash) => !one(this.sql, 'SELECT 1 AS known FROM known_clients WHERE hash = ?', hash));
    for (const hash of hashes) {
      this.sql.exec(
        'INSERT INTO known_clients (hash, last_seen) VALUES (?, ?) ON CONFLICT(hash) DO UPDATE SET last_seen = excluded.last_seen',
        hash,
        now,
      );
    }
    this.sql.exec(
      'DELETE FROM known_clients WHERE hash NOT IN (SELECT hash FROM known_clients ORDER BY last_seen DESC LIMIT ?)',
      KEEP,
    );
    return before && unseen;
  }
}
