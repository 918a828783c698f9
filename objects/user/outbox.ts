/**
 * The user actor's transactional outbox. A message (an email, or an event for the app's
 * webhook) is a row written in the same storage transaction as the change that causes it, and
 * leaves only when a delivery succeeds: at-least-once, with a stable id (`msg_…`) receivers can
 * dedupe on. Each channel is delivered in `seq` order: a message waits for the ones before it.
 * A message that fails `maxAttempts` times is parked as `dead` until the operator retries it.
 */

import { randomId } from '../../core/encoding';
import { retryDelayMs } from '../../core/outbox/backoff';
import { all, one } from '../shared/query';

export type Channel = 'email' | 'hook';

export interface OutboxMessage {
  id: string;
  channel: Channel;
  body: unknown;
  attempts: number;
  createdAt: number;
}

/** What happened to a message whose delivery failed. */
export type FailureOutcome = { status: 'retry'; at: number } | { status: 'dead' };

interface Row extends Record<string, SqlStorageValue> {
  id: string;
  channel: Channel;
  body: string;
  attempts: number;
  next_at: number;
  created_at: number;
}

const HEAD = `SELECT id, channel, body, attempts, next_at, created_at FROM outbox
  WHERE channel = ? AND status = 'pending' ORDER BY seq LIMIT 1`;

export class Outbox {
  constructor(private readonly sql: SqlStorage) {}

  /** Writes a message; call it inside the transaction of the change it reports. Answers its id. */
  add(channel: Channel, body: unknown, now = Date.now()): string {
    const id = `msg_${randomId()}`;
    this.sql.exec(
      'INSERT INTO outbox (id, channel, body, next_at, created_at) VALUES (?, ?, ?, ?, ?)',
      id,
      channel,
      JSON.stringify(body),
      now,
      now,
    );
    return id;
  }

  /** The oldest pending message of `channel` when it is due at `now`; a channel waits on its head. */
  head(channel: Channel, now: number): OutboxMessage | null {
    const row = one<Row>(this.sql, HEAD, channel);
    if (!row || row.next_at > now) return null;
    return {
      id: row.id,
      channel: row.channel,
      body: JSON.parse(row.body),
      attempts: row.attempts,
      createdAt: row.created_at,
    };
  }

  delivered(id: string): void {
    this.sql.exec('DELETE FROM outbox WHERE id = ?', id);
  }

  /** Counts a failed try: retried later with backoff, or parked as dead after `maxAttempts`. */
  failed(id: string, reason: string, maxAttempts: number, now: number): FailureOutcome {
    const row = one<{ attempts: number }>(
      this.sql,
      'UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ? RETURNING attempts',
      reason,
      id,
    );
    const attempts = row?.attempts ?? maxAttempts;
    if (attempts >= maxAttempts) {
      this.sql.exec("UPDATE outbox SET status = 'dead' WHERE id = ?", id);
      return { status: 'dead' };
    }
    const at = now + retryDelayMs(attempts);
    this.sql.exec('UPDATE outbox SET next_at = ? WHERE id = ?', at, id);
    return { status: 'retry', at };
  }

  /** Puts a dead message back in line, due now; false when there is no such dead message. */
  revive(id: string, now = Date.now()): boolean {
    const row = one<{ id: string }>(
      this.sql,
      "UPDATE outbox SET status = 'pending', attempts = 0, next_at = ? WHERE id = ? AND status = 'dead' RETURNING id",
      now,
      id,
    );
    return row !== undefined;
  }

  /** When the next delivery is due: the earliest head of a channel, or null when nothing waits. */
  nextDue(): number | null {
    const heads = all<{ next_at: number }>(
      this.sql,
      `SELECT next_at FROM outbox o WHERE status = 'pending'
         AND seq = (SELECT MIN(seq) FROM outbox WHERE channel = o.channel AND status = 'pending')`,
    );
    return heads.length ? Math.min(...heads.map((h) => h.next_at)) : null;
  }

  /** Every message still held, oldest first (a data export, and tests). */
  list(): { id: string; channel: Channel; status: string; attempts: number }[] {
    return all(this.sql, 'SELECT id, channel, status, attempts FROM outbox ORDER BY seq');
  }
}
