/**
 * The audit trail's part of the user actor's backup (user/log-export.ts runs it in the same
 * job): when the trail changed since its last export, the whole trail (bounded by
 * AUDIT_RETENTION_DAYS) becomes one immutable gzipped NDJSON object, reported in D1 with the
 * log's segment (`user_exports.audit_key`), so a backup's copy of that row names both parts.
 * Rewriting the whole trail costs its size once per export run that follows a change (at
 * most one per ACTOR_EXPORT_DELAY_S); a trail of a year of daily sign-ins is some tens of KiB.
 */
import { type AuditExport, auditKey } from '../../core/backup/actor-format';
import { all, one } from '../shared/query';
import { uploadRows } from './upload-rows';

const PAGE = 1_000;

interface AuditExportRow extends Record<string, SqlStorageValue> {
  key: string;
  chain: number;
  revision: number;
  entries: number;
  bytes: number;
  sha256: string;
  written_at: number;
  reported: number;
  superseded_at: number | null;
}

const toAuditExport = (row: AuditExportRow): AuditExport => ({
  key: row.key,
  chain: row.chain,
  revision: row.revision,
  entries: row.entries,
  bytes: row.bytes,
  sha256: row.sha256,
  written_at: row.written_at,
});

/** The newest export of the trail, or undefined before the first. */
export const latestAudit = (sql: SqlStorage): AuditExportRow | undefined =>
  one<AuditExportRow>(sql, 'SELECT * FROM audit_exports WHERE superseded_at IS NULL ORDER BY rowid DESC LIMIT 1');

/** Whether the trail moved past its last export (an actor that never exported has its trail to write, even empty). */
export function auditPending(sql: SqlStorage, revision: number): boolean {
  const latest = latestAudit(sql);
  return latest === undefined || latest.revision !== revision;
}

/**
 * Writes the trail at `revision` under the log's current chain. The cut is the start of the
 * run: entries written while the object uploads are left out (they moved the revision on, so
 * the next run writes them).
 */
export async function writeAudit(
  sql: SqlStorage,
  bucket: R2Bucket,
  userId: string,
  chain: number,
  revision: number,
  now: number,
): Promise<void> {
  const key = auditKey(userId, chain, revision);
  const cut = Date.now();
  let after: { created_at: number; id: string } | null = null;
  const { sha256, bytes, lines } = await uploadRows(bucket, key, () => {
    const rows = all<{ id: string; created_at: number }>(
      sql,
      `SELECT id, type, ip, user_agent, details, created_at FROM audit_log
        WHERE created_at <= ? AND (created_at > ? OR (created_at = ? AND id > ?))
        ORDER BY created_at, id LIMIT ?`,
      cut,
      after?.created_at ?? -1,
      after?.created_at ?? -1,
      after?.id ?? '',
      PAGE,
    );
    const last = rows.at(-1);
    if (last) after = { created_at: last.created_at, id: last.id };
    return rows;
  });
  sql.exec(
    `INSERT OR REPLACE INTO audit_exports (key, chain, revision, entries, bytes, sha256, written_at, reported)
     VALUES (?, ?, ?, ?, ?, ?, ?, 0)`,
    key,
    chain,
    revision,
    lines,
    bytes,
    sha256,
    now,
  );
}

/** After a report naming `key`: it is reported, and every older export superseded from now. */
export function auditReported(sql: SqlStorage, key: string, now: number): void {
  sql.exec('UPDATE audit_exports SET reported = 1 WHERE key = ?', key);
  sql.exec('UPDATE audit_exports SET superseded_at = ? WHERE key != ? AND superseded_at IS NULL', now, key);
}

/** Exports a newer report superseded: each may go once no retained backup started before it was superseded. */
export function supersededAudit(sql: SqlStorage): AuditExportRow[] {
  return all<AuditExportRow>(sql, 'SELECT * FROM audit_exports WHERE superseded_at IS NOT NULL');
}

export const auditExports = (sql: SqlStorage): AuditExport[] =>
  all<AuditExportRow>(sql, 'SELECT * FROM audit_exports ORDER BY rowid').map(toAuditExport);
