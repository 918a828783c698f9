/**
 * The format of each user actor's own backup in R2 (objects/user/log-export.ts writes it, the
 * restore reads it): under `actors/users/<user id>/`, immutable segments of the event log as
 * gzipped NDJSON (a `base` holds every stored event, a `delta` the events after the previous
 * segment), a small gzipped JSON state beside each, the whole audit trail as gzipped NDJSON
 * each time it changed, and a `manifest.json` listing them.
 */
import * as v from 'valibot';

export const ACTOR_FORMAT = 'durable-backend.actor/1';
export const ACTOR_ROOT = 'actors/users/';

export const userRoot = (userId: string): string => `${ACTOR_ROOT}${userId}/`;
export const userManifestKey = (userId: string): string => `${userRoot(userId)}manifest.json`;
const pad = (n: number): string => String(n).padStart(12, '0');
/** Derived from what the segment holds, so a retried export writes the same key. */
export const segmentKey = (userId: string, chain: number, after: number, last: number): string =>
  `${userRoot(userId)}log-${pad(chain)}-${pad(after)}-${pad(last)}.ndjson.gz`;
export const stateKey = (userId: string, chain: number, last: number): string =>
  `${userRoot(userId)}state-${pad(chain)}-${pad(last)}.json.gz`;
/** The trail at one revision (each change counts one), numbered under the log's chain as restores move it on. */
export const auditKey = (userId: string, chain: number, revision: number): string =>
  `${userRoot(userId)}audit-${pad(chain)}-${pad(revision)}.ndjson.gz`;

const Count = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const Sha256 = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'must be a hex SHA-256'));

/** One stored event, as a line of a segment: the row of the actor's `events` table. */
export const EventLine = v.strictObject({
  seq: v.pipe(Count, v.minValue(1)),
  id: v.pipe(v.string(), v.minLength(1), v.maxLength(128)),
  device_id: v.nullable(v.string()),
  stream: v.pipe(v.string(), v.minLength(1), v.maxLength(128)),
  key: v.nullable(v.pipe(v.string(), v.minLength(1), v.maxLength(128))),
  version: v.nullable(Count),
  /** The payload as its JSON text. */
  payload: v.string(),
  at: Count,
  expires_at: v.nullable(Count),
});
export type EventLine = v.InferOutput<typeof EventLine>;

/** One entry of the audit trail, as a line of its object: the row of the actor's `audit_log` table. */
export const AuditLine = v.strictObject({
  id: v.pipe(v.string(), v.minLength(1), v.maxLength(128)),
  type: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
  ip: v.nullable(v.pipe(v.string(), v.maxLength(1024))),
  user_agent: v.nullable(v.pipe(v.string(), v.maxLength(512))),
  /** The details as their JSON text. */
  details: v.nullable(v.pipe(v.string(), v.maxLength(65_536))),
  created_at: Count,
});
export type AuditLine = v.InferOutput<typeof AuditLine>;

export const Segment = v.object({
  key: v.string(),
  chain: Count,
  kind: v.picklist(['base', 'delta']),
  /** The segment holds events with after < seq <= last_seq (a base: every stored one). */
  after: Count,
  last_seq: Count,
  events: Count,
  bytes: Count,
  sha256: Sha256,
  state_key: v.string(),
  state_sha256: Sha256,
  written_at: Count,
});
export type Segment = v.InferOutput<typeof Segment>;

/** One export of the whole audit trail (bounded by AUDIT_RETENTION_DAYS). */
export const AuditExport = v.object({
  key: v.string(),
  chain: Count,
  revision: Count,
  entries: Count,
  bytes: Count,
  sha256: Sha256,
  written_at: Count,
});
export type AuditExport = v.InferOutput<typeof AuditExport>;

/** The actor's state beside a segment: no secrets (no refresh keys or token hashes). */
export const ActorState = v.object({
  format: v.literal(ACTOR_FORMAT),
  user_id: v.string(),
  last_seq: Count,
  horizon: Count,
  /** The key versions whose current event is no longer stored (purged), so versions never go back. */
  key_versions: v.array(v.object({ stream: v.string(), key: v.string(), version: Count, seq: Count })),
  profile: v.nullable(v.record(v.string(), v.unknown())),
  sessions: v.array(
    v.object({
      id: v.string(),
      created_at: Count,
      last_used_at: Count,
      expires_at: Count,
      revoked_at: v.nullable(Count),
      amr: v.string(),
    }),
  ),
});
export type ActorState = v.InferOutput<typeof ActorState>;

export const UserManifest = v.object({
  format: v.literal(ACTOR_FORMAT),
  user_id: v.string(),
  updated_at: Count,
  segments: v.array(Segment),
  /** Absent in manifests written before the audit trail was backed up. */
  audit: v.optional(v.array(AuditExport), []),
});
export type UserManifest = v.InferOutput<typeof UserManifest>;

/**
 * The segments a restore loads for a user exported up to `lastSeq` in `chain`: the chain's base
 * and its deltas up to `lastSeq`, each starting where the previous ended; null when they do not
 * tile that range (a segment is missing from the manifest).
 */
export function segmentsFor(manifest: UserManifest, chain: number, lastSeq: number): Segment[] | null {
  const ordered = manifest.segments
    .filter((s) => s.chain === chain && s.last_seq <= lastSeq)
    .sort((a, b) => a.last_seq - b.last_seq);
  const base = ordered.findIndex((s) => s.kind === 'base');
  if (base !== 0) return null;
  let reached = ordered[0]!.last_seq;
  for (const segment of ordered.slice(1)) {
    if (segment.kind !== 'delta' || segment.after !== reached) return null;
    reached = segment.last_seq;
  }
  return reached === lastSeq ? ordered : null;
}
