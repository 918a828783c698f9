/**
 * Point-in-time recovery of a user's actor (SQLite-backed Durable Objects keep 30 days): the
 * storage is told which bookmark to come back at on its next start, then the actor restarts.
 */
import { err, ok, type Result } from '../../core/result';

export type RestoreTarget = { at: number } | { bookmark: string };

/** Arranges the restore; answers the bookmark restored to and the current one, which undoes it. */
export async function prepareRestore(
  storage: DurableObjectStorage,
  target: RestoreTarget,
): Promise<Result<{ bookmark: string; undo: string }, { type: 'unsupported' }>> {
  try {
    const undo = await storage.getCurrentBookmark();
    const bookmark = 'at' in target ? await storage.getBookmarkForTime(target.at) : target.bookmark;
    await storage.onNextSessionRestoreBookmark(bookmark);
    return ok({ bookmark, undo });
  } catch (error) {
    // Local workerd's storage has no point-in-time recovery: it says so in this message.
    if (error instanceof Error && /does not implement point-in-time recovery/.test(error.message)) {
      return err({ type: 'unsupported' });
    }
    throw error;
  }
}
