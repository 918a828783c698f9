/**
 * Loading a restored log into a user's actor (the operator's restore): the events of a
 * backup's segments in batches, then the state that goes with them. A log that already holds
 * events is never overwritten unless the operator says so.
 */
import type { ActorState, EventLine } from '../../core/backup/actor-format';
import { err, ok, type Result } from '../../core/result';
import { one } from '../shared/query';
import { LogTotals } from './log-state';

export type LoadFailure = { type: 'not_empty'; events: number } | { type: 'out_of_order'; after: number };

export interface LoadPart {
  events: EventLine[];
  /** The first batch: checks the log is empty (or, with `replace`, empties it). */
  first: boolean;
  replace: boolean;
}

/** Stores a batch of events, which must come after every event already stored. */
export function loadEvents(
  sql: SqlStorage,
  storage: DurableObjectStorage,
  part: LoadPart,
): Result<{ events: number }, LoadFailure> {
  return storage.transactionSync(() => {
    const totals = new LogTotals(sql);
    if (part.first) {
      const stored = totals.read().events;
      if (stored > 0 && !part.replace) return err({ type: 'not_empty', events: stored });
      sql.exec('DELETE FROM events');
      sql.exec('DELETE FROM event_keys');
      sql.exec('UPDATE log_state SET events = 0, bytes = 0, horizon = 0, head = 0');
      // What this environment exported of the replaced log stays for its backups; the next export starts anew.
      sql.exec('UPDATE log_segments SET superseded_at = ? WHERE superseded_at IS NULL', Date.now());
    }
    let after = one<{ seq: number }>(sql, 'SELECT COALESCE(MAX(seq), 0) AS seq FROM events')!.seq;
    for (const event of part.events) {
      if (event.seq <= after) return err({ type: 'out_of_order', after });
      sql.exec(
        'INSERT INTO events (seq, id, device_id, stream, key, version, payload, at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        event.seq,
        event.id,
        event.device_id,
        event.stream,
        event.key,
        event.version,
        event.payload,
        event.at,
        event.expires_at,
      );
      after = event.seq;
    }
    totals.recount(0, 0);
    return ok({ events: totals.read().events });
  });
}

/**
 * After the last batch: key versions from the events and the state, the horizon and the head,
 * and the backup's chain, above which this actor's next export numbers its own.
 */
export function completeLoad(
  sql: SqlStorage,
  storage: DurableObjectStorage,
  state: Pick<ActorState, 'horizon' | 'last_seq' | 'key_versions'> & { chain: number },
): { events: number; head: number } {
  return storage.transactionSync(() => {
    sql.exec(
      `INSERT INTO event_keys (stream, key, version, seq)
         SELECT stream, key, version, seq FROM events e
          WHERE key IS NOT NULL AND seq = (SELECT MAX(seq) FROM events x WHERE x.stream = e.stream AND x.key = e.key)
       ON CONFLICT (stream, key) DO UPDATE SET version = excluded.version, seq = excluded.seq`,
    );
    for (const { stream, key, version, seq } of state.key_versions) {
      sql.exec(
        `INSERT INTO event_keys (stream, key, version, seq) VALUES (?, ?, ?, ?)
         ON CONFLICT (stream, key) DO UPDATE SET version = excluded.version, seq = excluded.seq
         WHERE excluded.version > event_keys.version`,
        stream,
        key,
        version,
        seq,
      );
    }
    sql.exec('UPDATE log_state SET chain_floor = MAX(chain_floor, ?)', state.chain);
    const totals = new LogTotals(sql);
    totals.recount(state.horizon, state.last_seq);
    const { events, head } = totals.read();
    return { events, head };
  });
}
