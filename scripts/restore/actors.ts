/** The user actors of a restore: verify every user's objects, then load each audit trail and log, with progress. */
import {
  type ActorSink,
  describeActorFailure,
  loadUser,
  type UserCut,
  type VerifiedUser,
  verifyUser,
} from '../../core/backup/actor-restore.ts';
import type { ObjectReader } from '../../core/backup/load.ts';

export type Report = (line: string) => void;

/** Prints a line every `every` users and at the end. */
const ticker =
  (total: number, every = Math.max(1, Math.ceil(total / 20))) =>
  (done: number) =>
    done === total || done % every === 0;

/** Checks every user of the cut; the first problem found refuses the whole restore. */
export async function verifyActors(
  read: ObjectReader,
  cuts: UserCut[],
  report: Report,
): Promise<{ ok: true; users: VerifiedUser[]; skipped: string[] } | { ok: false; message: string }> {
  const users: VerifiedUser[] = [];
  const skipped: string[] = [];
  const tick = ticker(cuts.length);
  let events = 0;
  for (const cut of cuts) {
    const verified = await verifyUser(read, cut);
    if (!verified.ok && verified.error.type === 'no_exports') {
      // Erasure deletes a user's folder: their log is not restored, and neither should their rows be.
      report(`  SKIPPED: ${describeActorFailure(verified.error)}; delete the account again after the restore`);
      skipped.push(cut.userId);
      continue;
    }
    if (!verified.ok) return { ok: false, message: describeActorFailure(verified.error) };
    users.push(verified.value);
    events += cut.events;
    if (tick(users.length + skipped.length)) {
      report(`  users verified: ${users.length + skipped.length}/${cuts.length}, ${events} events`);
    }
  }
  const without = users.filter((user) => user.audit === null).length;
  if (without > 0) report(`  ${without} users' backups predate the audit trail's: their trails are not restored`);
  return { ok: true, users, skipped };
}

/** Loads each verified user's log; answers totals, or the first refusal. */
export async function loadActors(
  read: ObjectReader,
  sink: ActorSink,
  users: VerifiedUser[],
  replace: boolean,
  report: Report,
): Promise<{ ok: true; users: number; events: number; audit: number; ms: number } | { ok: false; message: string }> {
  const started = Date.now();
  const tick = ticker(users.length);
  let events = 0;
  let audit = 0;
  let done = 0;
  for (const user of users) {
    const loaded = await loadUser(read, sink, user, replace);
    if (!loaded.ok) return { ok: false, message: describeActorFailure(loaded.error) };
    if (loaded.value.events !== user.cut.events) {
      return {
        ok: false,
        message: `user ${user.cut.userId} holds ${loaded.value.events} events after loading ${user.cut.events}`,
      };
    }
    if (user.audit && loaded.value.audit !== user.audit.entries) {
      return {
        ok: false,
        message: `user ${user.cut.userId} holds ${loaded.value.audit} audit entries after loading ${user.audit.entries}`,
      };
    }
    events += loaded.value.events;
    audit += loaded.value.audit ?? 0;
    done += 1;
    if (tick(done)) {
      const seconds = Math.max((Date.now() - started) / 1000, 0.001);
      report(`  users loaded: ${done}/${users.length}, ${events} events (${Math.round(events / seconds)} events/s)`);
    }
  }
  return { ok: true, users: done, events, audit, ms: Date.now() - started };
}
