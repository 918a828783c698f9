/**
 * The account's security events, in the user's own actor: a sign-in, a key change or a device
 * change writes here instead of to the shared database, and the list is read from here. Rows
 * older than the retention window (AUDIT_RETENTION_DAYS) are dropped as new ones are written,
 * so the trail is bounded.
 *
 * Rows written to D1's `audit_log` before the trail moved are taken over once, the first time
 * the trail is used (INSERT OR IGNORE by id, then deleted from D1): two racing first uses
 * import the same rows without duplicating them.
 *
 * Every change (an entry written, rows taken over, a restore's load) counts one revision and
 * calls `changed`, which schedules the actor's backup (user/audit-export.ts).
 */
import type { AuditLine } from '../../core/backup/actor-format';
import { type AuditType, deleteLegacyAudit, takeLegacyAudit } from '../../core/db/audit';
import { randomId } from '../../core/encoding';
import { err, ok, type Result } from '../../core/result';
import type { JsonValue } from '../../core/schemas/events';
import { all, one } from '../shared/query';

const IMPORTED = 'audit:legacy_imported';
const REVISION = 'audit:revision';

/** A batch of a backup's entries (the operator's restore); `first` checks the trail is empty, or with `replace` empties it. */
export interface AuditLoad {
  entries: AuditLine[];
  first: boolean;
  replace: boolean;
}

export type AuditLoadFailure = { type: 'not_empty'; entries: number };

export interface AuditInput {
  type: AuditType;
  ip?: string | null;
  userAgent?: string | null;
  details?: Record<string, JsonValue>;
}

export interface AuditEntry {
  id: string;
  type: string;
  ip: string | null;
  user_agent: string | null;
  details: Record<string, JsonValue> | null;
  created_at: number;
}

export interface AuditCursor {
  createdAt: number;
  id: string;
}

type Row = Omit<AuditEntry, 'details'> & { details: string | null };

const entryOf = (row: Row): AuditEntry => ({ ...row, details: row.details ? JSON.parse(row.details) : null });

export class AuditTrail {
  constructor(
    private readonly sql: SqlStorage,
    private readonly storage: DurableObjectStorage,
    private readonly db: D1Database,
    private readonly userId: string,
    private readonly retentionMs: () => number,
    private readonly changed: () => Promise<void>,
  ) {}

  /** Counts every change of the trail: an export is due when it moved past the exported one. */
  revision(): number {
    return this.storage.kv.get<number>(REVISION) ?? 0;
  }

  private async bump(): Promise<void> {
    this.storage.kv.put(REVISION, this.revision() + 1);
    await this.changed();
  }

  async record(input: AuditInput, now = Date.now()): Promise<void> {
    await this.importLegacy();
    this.sql.exec(
      'INSERT INTO audit_log (id, type, ip, user_agent, details, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      randomId(),
      input.type,
      // Within the bounds of the backup's line (core/backup/actor-format.ts), so a restore takes every entry.
      input.ip?.slice(0, 1024) ?? null,
      input.userAgent?.slice(0, 512) ?? null,
      input.details ? JSON.stringify(input.details) : null,
      now,
    );
    this.sql.exec('DELETE FROM audit_log WHERE created_at < ?', now - this.retentionMs());
    await this.bump();
  }

  /**
   * Stores a batch of a backup's entries as they were (by id, so a batch sent twice stores them
   * once). The legacy rows of the restored database are taken over again on the next use.
   */
  async load(part: AuditLoad): Promise<Result<{ entries: number }, AuditLoadFailure>> {
    const count = () => one<{ n: number }>(this.sql, 'SELECT COUNT(*) AS n FROM audit_log')!.n;
    const stored = this.storage.transactionSync(() => {
      if (part.first) {
        const held = count();
        if (held > 0 && !part.replace) return err<AuditLoadFailure>({ type: 'not_empty', entries: held });
        this.sql.exec('DELETE FROM audit_log');
        this.storage.kv.delete(IMPORTED);
      }
      for (const entry of part.entries) {
        this.sql.exec(
          'INSERT OR REPLACE INTO audit_log (id, type, ip, user_agent, details, created_at) VALUES (?, ?, ?, ?, ?, ?)',
          entry.id,
          entry.type,
          entry.ip,
          entry.user_agent,
          entry.details,
          entry.created_at,
        );
      }
      return ok({ entries: count() });
    });
    if (stored.ok) await this.bump();
    return stored;
  }

  /** Newest first; `before` continues after the last entry of the previous page. */
  async list(limit: number, before: AuditCursor | null): Promise<{ entries: AuditEntry[]; more: boolean }> {
    await this.importLegacy();
    const rows = before
      ? all<Row>(
          this.sql,
          `SELECT * FROM audit_log WHERE created_at < ? OR (created_at = ? AND id < ?)
           ORDER BY created_at DESC, id DESC LIMIT ?`,
          before.createdAt,
          before.createdAt,
          before.id,
          limit + 1,
        )
      : all<Row>(this.sql, 'SELECT * FROM audit_log ORDER BY created_at DESC, id DESC LIMIT ?', limit + 1);
    return { entries: rows.slice(0, limit).map(entryOf), more: rows.length > limit };
  }

  /** Oldest first, for the account's data export. */
  async all(): Promise<AuditEntry[]> {
    await this.importLegacy();
    return all<Row>(this.sql, 'SELECT * FROM audit_log ORDER BY created_at, id').map(entryOf);
  }

  private async importLegacy(): Promise<void> {
    if (this.storage.kv.get(IMPORTED)) return;
    const legacy = await takeLegacyAudit(this.db, this.userId);
    for (const row of legacy) {
      this.sql.exec(
        'INSERT OR IGNORE INTO audit_log (id, type, ip, user_agent, details, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        row.id,
        row.type,
        row.ip,
        row.user_agent,
        row.details,
        row.created_at,
      );
    }
    this.storage.kv.put(IMPORTED, true);
    if (legacy.length === 0) return;
    await deleteLegacyAudit(
      this.db,
      this.userId,
      legacy.map((row) => row.id),
    );
    await this.bump();
  }
}
