/** Operator endpoints: backups on demand, their list and details (DESIGN.md §7). ADMIN_TOKEN only. */
import { type BackupRow, findRun, listRuns } from '../../core/db/backups';
import { BackupOut, BackupParams, BackupStarted, BackupsOut, BackupsQuery } from '../../core/schemas/admin';
import { isoOrNull } from '../../core/time';
import { MAINTENANCE_NAME } from '../../objects/maintenance/api';
import { ApiError } from '../errors';
import { validate } from '../http/body';
import { route } from '../route';

function present(row: BackupRow): BackupOut {
  return {
    id: row.id,
    status: row.status,
    prefix: row.prefix,
    started_at: new Date(row.startedAt).toISOString(),
    finished_at: isoOrNull(row.finishedAt),
    tables: row.tables,
    users: row.users,
    events: row.events,
  };
}

export const adminRoutes = [
  route({
    method: 'POST',
    path: '/v1/admin/backups',
    summary: 'Export every D1 table to R2 now',
    tag: 'Operations',
    access: 'admin',
    responses: {
      202: {
        description: 'The run is under way; follow it at /v1/admin/backups/{id}. While a run is going, its id.',
        schema: BackupStarted,
      },
      503: { description: 'The run could not be recorded in D1.' },
    },
    async handle({ rc, reply }) {
      const result = await rc.env.MAINTENANCE.getByName(MAINTENANCE_NAME).startBackup({ trigger: 'manual' });
      if (!result.ok) throw new ApiError('upstream_unavailable');
      return reply(202, { id: result.value.id });
    },
  }),
  route({
    method: 'GET',
    path: '/v1/admin/backups',
    summary: 'List backup runs, newest first',
    tag: 'Operations',
    access: 'admin',
    query: BackupsQuery,
    responses: { 200: { description: 'The newest runs (`limit`, default 20).', schema: BackupsOut } },
    async handle({ rc, query, reply }) {
      const rows = await listRuns(rc.env.DB, query.limit);
      return reply(200, { backups: rows.map(present) });
    },
  }),
  route({
    method: 'GET',
    path: '/v1/admin/backups/:id',
    summary: 'One backup run: status, times, its tables, and the users and events it covers',
    tag: 'Operations',
    access: 'admin',
    responses: {
      200: { description: 'The run; `tables` grows while it is running.', schema: BackupOut },
      400: { description: 'The id is not well formed (`invalid_request`).' },
      404: { description: 'No run has this id (or retention deleted it).' },
    },
    async handle({ rc, params, reply }) {
      const { id } = validate(BackupParams, params);
      const row = await findRun(rc.env.DB, id);
      if (!row) throw new ApiError('not_found', 'No such backup.');
      return reply(200, present(row));
    },
  }),
];
