/**
 * Retention: the newest `keep` complete runs stay, with their objects; older ones go, R2
 * first and then the row, so an interrupted pass is finished by the next. Failed runs are
 * kept up to the same number, for inspection. A running run is never touched.
 */
import { BACKUP_ROOT } from '../../core/backup/manifest';
import { deleteRun, runsWithStatus } from '../../core/db/backups';

/** Deletes every object under a run's prefix, a page of at most 1,000 keys at a time. */
export async function deletePrefix(bucket: R2Bucket, prefix: string): Promise<void> {
  // Never anything outside one run's folder, whatever the row says.
  if (!prefix.startsWith(BACKUP_ROOT) || !prefix.endsWith('/') || prefix.length <= BACKUP_ROOT.length + 1) {
    throw new Error('refusing to delete outside a backup run prefix');
  }
  for (;;) {
    const listing = await bucket.list({ prefix, limit: 1000 });
    if (listing.objects.length === 0) return;
    await bucket.delete(listing.objects.map((object) => object.key));
    if (!listing.truncated) return;
  }
}

/** Applies retention; returns the ids of the runs it deleted. */
export async function applyRetention(db: D1Database, bucket: R2Bucket, keep: number): Promise<string[]> {
  const [complete, failed] = await Promise.all([runsWithStatus(db, 'complete'), runsWithStatus(db, 'failed')]);
  const expired = [...complete.slice(keep), ...failed.slice(keep)];
  for (const run of expired) {
    await deletePrefix(bucket, run.prefix);
    await deleteRun(db, run.id);
  }
  return expired.map((run) => run.id);
}
