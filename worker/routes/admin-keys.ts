/** Operator endpoints of the data key ring: start the re-seal sweep, follow it (DESIGN.md §7). ADMIN_TOKEN only. */
import { countNotUnder } from '../../core/db/sealed-values';
import { BackupStarted, SweepOut } from '../../core/schemas/admin';
import { isoOrNull } from '../../core/time';
import { MAINTENANCE_NAME, type SweepState } from '../../objects/maintenance/api';
import { route } from '../route';

const present = (s: SweepState) => ({
  id: s.id,
  status: s.status,
  trigger: s.trigger,
  kid: s.kid,
  started_at: new Date(s.startedAt).toISOString(),
  finished_at: isoOrNull(s.finishedAt),
  scanned: s.scanned,
  resealed: s.resealed,
  unreadable: s.unreadable,
});

export const adminKeyRoutes = [
  route({
    method: 'POST',
    path: '/v1/admin/data-keys/sweep',
    summary: 'Re-seal every value an older data key sealed, under the current one',
    tag: 'Operations',
    access: 'admin',
    responses: {
      202: { description: 'The sweep is under way (or, while one is going, its id).', schema: BackupStarted },
    },
    async handle({ rc, reply }) {
      const started = await rc.env.MAINTENANCE.getByName(MAINTENANCE_NAME).startSweep({ trigger: 'manual' });
      return reply(202, { id: started.id });
    },
  }),
  route({
    method: 'GET',
    path: '/v1/admin/data-keys/sweep',
    summary: 'The sealing key, the values not yet under it, and the sweep’s progress',
    tag: 'Operations',
    access: 'admin',
    responses: {
      200: { description: 'When `remaining.total` is 0, keys after the first can be removed.', schema: SweepOut },
    },
    async handle({ rc, reply }) {
      const kid = rc.config.dataKeys[0]?.kid ?? '';
      const [counts, sweep] = await Promise.all([
        countNotUnder(rc.env.DB, kid),
        rc.env.MAINTENANCE.getByName(MAINTENANCE_NAME).sweepStatus(),
      ]);
      const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
      return reply(200, { sealing_kid: kid, remaining: { total, ...counts }, sweep: sweep && present(sweep) });
    },
  }),
];
