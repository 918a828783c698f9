/**
 * Restoring the user actors of a backup: the cut comes from the run's copy of `user_exports`
 * (one row per user: chain, last seq, events); each user's segments and state are checked
 * against their manifest (SHA-256, event counts, seq ranges) before anything is loaded, then
 * loaded in batches through an ActorSink (the operator endpoints). The same row names the audit
 * trail's object of the same export, checked and loaded the same way.
 */
import * as v from 'valibot';
import { err, ok, type Result } from '../result.ts';
import {
  ActorState,
  type AuditExport,
  AuditLine,
  EventLine,
  type Segment,
  segmentsFor,
  UserManifest,
  userManifestKey,
  userRoot,
} from './actor-format.ts';
import { type LoadedExport, type ObjectReader, sha256Hex } from './load.ts';
import { gunzip } from './ndjson.ts';

export const LOAD_BATCH = 2_000;

export interface UserCut {
  userId: string;
  chain: number;
  lastSeq: number;
  events: number;
  /** The audit trail's object and entries; null for runs made before the trail was backed up. */
  audit: { key: string; entries: number } | null;
}

export interface VerifiedUser {
  cut: UserCut;
  segments: Segment[];
  state: ActorState;
  audit: AuditExport | null;
}

export type Refused = { type: 'refused'; status: number; message: string };
type Part<T> = { first: boolean; replace: boolean } & T;

export type ActorFailure =
  /** The user's folder has no manifest: erased since the run (erasure deletes it), or lost. */
  | { type: 'no_exports'; userId: string }
  | { type: 'missing_object'; key: string }
  | { type: 'bad_object'; key: string; reason: string }
  | { type: 'hash_mismatch'; key: string; expected: string; actual: string }
  | { type: 'incomplete_chain'; userId: string; chain: number; lastSeq: number }
  | { type: 'event_count_mismatch'; key: string; expected: number; actual: number }
  | { type: 'audit_count_mismatch'; key: string; expected: number; actual: number };

/** Where restored logs go: the operator endpoints, over HTTP (core/backup/actor-sink.ts). */
export interface ActorSink {
  load(userId: string, part: Part<{ events: EventLine[] }>): Promise<Result<{ events: number }, Refused>>;
  loadAudit(userId: string, part: Part<{ entries: AuditLine[] }>): Promise<Result<{ entries: number }, Refused>>;
  complete(
    userId: string,
    state: Pick<ActorState, 'horizon' | 'last_seq' | 'key_versions'> & { chain: number },
  ): Promise<{ events: number; head: number }>;
}

const num = (value: unknown): number => (typeof value === 'number' ? value : Number.NaN);

/** The users a backup covers, from its `user_exports` rows; empty for runs made before actors were backed up. */
export function cutsOf(loaded: LoadedExport): UserCut[] {
  const table = loaded.tables.find((t) => t.table.name === 'user_exports');
  return (table?.rows ?? []).map((row) => ({
    userId: String(row.user_id),
    chain: num(row.chain),
    lastSeq: num(row.last_seq),
    events: num(row.events),
    audit: typeof row.audit_key === 'string' ? { key: row.audit_key, entries: num(row.audit_entries) } : null,
  }));
}

async function readJson<S extends v.GenericSchema>(
  read: ObjectReader,
  key: string,
  schema: S,
  gzipped: boolean,
  sha256?: string,
): Promise<Result<v.InferOutput<S>, ActorFailure>> {
  const bytes = await read(key);
  if (!bytes) return err({ type: 'missing_object', key });
  if (sha256) {
    const actual = await sha256Hex(bytes);
    if (actual !== sha256) return err({ type: 'hash_mismatch', key, expected: sha256, actual });
  }
  try {
    const text = new TextDecoder().decode(gzipped ? await gunzip(bytes) : bytes);
    const parsed = v.safeParse(schema, JSON.parse(text));
    if (parsed.success) return ok(parsed.output);
    return err({
      type: 'bad_object',
      key,
      reason: parsed.issues.map((i) => `${v.getDotPath(i) ?? ''} ${i.message}`).join('; '),
    });
  } catch {
    return err({ type: 'bad_object', key, reason: 'is not (gzipped) JSON' });
  }
}

/** A segment's events, checked against its manifest entry: hash, count, each line, seqs in its range. */
export async function readSegment(read: ObjectReader, segment: Segment): Promise<Result<EventLine[], ActorFailure>> {
  const { key } = segment;
  const bytes = await read(key);
  if (!bytes) return err({ type: 'missing_object', key });
  const actual = await sha256Hex(bytes);
  if (actual !== segment.sha256) return err({ type: 'hash_mismatch', key, expected: segment.sha256, actual });
  const lines = new TextDecoder().decode(await gunzip(bytes)).split('\n');
  if (lines.at(-1) === '') lines.pop();
  const events: EventLine[] = [];
  let after = segment.after;
  for (const [index, line] of lines.entries()) {
    let parsed: v.SafeParseResult<typeof EventLine>;
    try {
      parsed = v.safeParse(EventLine, JSON.parse(line));
    } catch {
      return err({ type: 'bad_object', key, reason: `line ${index + 1} is not JSON` });
    }
    if (!parsed.success) return err({ type: 'bad_object', key, reason: `line ${index + 1} is not an event` });
    const event = parsed.output;
    if (event.seq <= after || event.seq > segment.last_seq) {
      return err({ type: 'bad_object', key, reason: `line ${index + 1} has seq ${event.seq} outside the segment` });
    }
    after = event.seq;
    events.push(event);
  }
  if (events.length !== segment.events) {
    return err({ type: 'event_count_mismatch', key, expected: segment.events, actual: events.length });
  }
  return ok(events);
}

/** The audit trail's entries, checked against its manifest entry: hash, count, each line. */
export async function readAudit(read: ObjectReader, audit: AuditExport): Promise<Result<AuditLine[], ActorFailure>> {
  const { key } = audit;
  const bytes = await read(key);
  if (!bytes) return err({ type: 'missing_object', key });
  const actual = await sha256Hex(bytes);
  if (actual !== audit.sha256) return err({ type: 'hash_mismatch', key, expected: audit.sha256, actual });
  const lines = new TextDecoder().decode(await gunzip(bytes)).split('\n');
  if (lines.at(-1) === '') lines.pop();
  const entries: AuditLine[] = [];
  for (const [index, line] of lines.entries()) {
    let parsed: v.SafeParseResult<typeof AuditLine>;
    try {
      parsed = v.safeParse(AuditLine, JSON.parse(line));
    } catch {
      return err({ type: 'bad_object', key, reason: `line ${index + 1} is not JSON` });
    }
    if (!parsed.success) return err({ type: 'bad_object', key, reason: `line ${index + 1} is not an audit entry` });
    entries.push(parsed.output);
  }
  if (entries.length !== audit.entries) {
    return err({ type: 'audit_count_mismatch', key, expected: audit.entries, actual: entries.length });
  }
  return ok(entries);
}

/** The cut's audit object from the manifest, checked; null when the cut names none. */
async function verifyAudit(
  read: ObjectReader,
  cut: UserCut,
  manifest: UserManifest,
): Promise<Result<AuditExport | null, ActorFailure>> {
  if (!cut.audit) return ok(null);
  const manifestKey = userManifestKey(cut.userId);
  const audit = manifest.audit.find((a) => a.key === cut.audit!.key);
  if (!audit) return err({ type: 'missing_object', key: cut.audit.key });
  if (!audit.key.startsWith(userRoot(cut.userId))) {
    return err({ type: 'bad_object', key: manifestKey, reason: 'points outside the user’s folder' });
  }
  const entries = await readAudit(read, audit);
  if (!entries.ok) return entries;
  if (entries.value.length !== cut.audit.entries) {
    return err({
      type: 'audit_count_mismatch',
      key: manifestKey,
      expected: cut.audit.entries,
      actual: entries.value.length,
    });
  }
  return ok(audit);
}

/** Checks every object of one user's cut; reads each segment once and keeps none of it. */
export async function verifyUser(read: ObjectReader, cut: UserCut): Promise<Result<VerifiedUser, ActorFailure>> {
  const manifestKey = userManifestKey(cut.userId);
  const manifest = await readJson(read, manifestKey, UserManifest, false);
  if (!manifest.ok && manifest.error.type === 'missing_object') return err({ type: 'no_exports', userId: cut.userId });
  if (!manifest.ok) return manifest;
  if (manifest.value.user_id !== cut.userId)
    return err({ type: 'bad_object', key: manifestKey, reason: 'names another user' });
  const segments = segmentsFor(manifest.value, cut.chain, cut.lastSeq);
  if (!segments) return err({ type: 'incomplete_chain', userId: cut.userId, chain: cut.chain, lastSeq: cut.lastSeq });
  const root = userRoot(cut.userId);
  let events = 0;
  for (const segment of segments) {
    // Keys never lead outside the user's folder, whatever the manifest says.
    if (!segment.key.startsWith(root) || !segment.state_key.startsWith(root)) {
      return err({ type: 'bad_object', key: manifestKey, reason: 'points outside the user’s folder' });
    }
    const read1 = await readSegment(read, segment);
    if (!read1.ok) return read1;
    events += read1.value.length;
  }
  if (events !== cut.events) {
    return err({ type: 'event_count_mismatch', key: manifestKey, expected: cut.events, actual: events });
  }
  const last = segments.at(-1)!;
  const state = await readJson(read, last.state_key, ActorState, true, last.state_sha256);
  if (!state.ok) return state;
  if (state.value.user_id !== cut.userId || state.value.last_seq !== cut.lastSeq) {
    return err({ type: 'bad_object', key: last.state_key, reason: 'is not the state of this cut' });
  }
  const audit = await verifyAudit(read, cut, manifest.value);
  if (!audit.ok) return audit;
  return ok({ cut, segments, state: state.value, audit: audit.value });
}

/**
 * Loads one verified user's audit trail, then their log, through the sink, in batches; answers
 * the restored log's count and head and the trail's count (null: the cut has no trail).
 */
export async function loadUser(
  read: ObjectReader,
  sink: ActorSink,
  user: VerifiedUser,
  replace: boolean,
): Promise<
  Result<
    { events: number; head: number; audit: number | null },
    ActorFailure | { type: 'refused'; userId: string; message: string }
  >
> {
  let audit: number | null = null;
  if (user.audit) {
    const entries = await readAudit(read, user.audit);
    if (!entries.ok) return entries;
    // One batch even when empty: the first checks (or, with replace, empties) the trail.
    for (let i = 0; i === 0 || i < entries.value.length; i += LOAD_BATCH) {
      const part = { entries: entries.value.slice(i, i + LOAD_BATCH), first: i === 0, replace };
      const sent = await sink.loadAudit(user.cut.userId, part);
      if (!sent.ok) return err({ type: 'refused', userId: user.cut.userId, message: sent.error.message });
      audit = sent.value.entries;
    }
  }
  let first = true;
  const send = async (events: EventLine[]) => {
    const result = await sink.load(user.cut.userId, { events, first, replace });
    first = false;
    return result;
  };
  for (const segment of user.segments) {
    const events = await readSegment(read, segment);
    if (!events.ok) return events;
    for (let i = 0; i < events.value.length; i += LOAD_BATCH) {
      const sent = await send(events.value.slice(i, i + LOAD_BATCH));
      if (!sent.ok) return err({ type: 'refused', userId: user.cut.userId, message: sent.error.message });
    }
  }
  if (first) {
    // Nothing stored at the cut (every event purged): the log is still emptied and its head restored.
    const sent = await send([]);
    if (!sent.ok) return err({ type: 'refused', userId: user.cut.userId, message: sent.error.message });
  }
  const { horizon, last_seq, key_versions } = user.state;
  const done = await sink.complete(user.cut.userId, { chain: user.cut.chain, horizon, last_seq, key_versions });
  return ok({ ...done, audit });
}

/** A failure as one line for the operator. */
export function describeActorFailure(
  failure: ActorFailure | { type: 'refused'; userId: string; message: string },
): string {
  switch (failure.type) {
    case 'no_exports':
      return `user ${failure.userId} has no exports in R2 (erased since the run, or lost)`;
    case 'missing_object':
      return `${failure.key} does not exist`;
    case 'bad_object':
      return `${failure.key} ${failure.reason}`;
    case 'hash_mismatch':
      return `${failure.key} has SHA-256 ${failure.actual}, but the manifest says ${failure.expected}`;
    case 'incomplete_chain':
      return `the segments of user ${failure.userId} do not reach seq ${failure.lastSeq} in chain ${failure.chain}`;
    case 'event_count_mismatch':
      return `${failure.key} holds ${failure.actual} events, but ${failure.expected} were recorded`;
    case 'audit_count_mismatch':
      return `${failure.key} holds ${failure.actual} audit entries, but ${failure.expected} were recorded`;
    case 'refused':
      return `the target refused the log of user ${failure.userId}: ${failure.message}`;
  }
}
