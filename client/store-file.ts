/**
 * An outbox store in a JSON file, for Node: every change rewrites the file through a
 * temporary one and a rename, so a crash leaves the old state or the new one, never half.
 * Import it from the package's `./node` entry (browsers never load `node:fs`).
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { OutgoingEvent } from './protocol.ts';
import type { OutboxStore, SavedState } from './store.ts';

/** Keeps the outbox and the cursor in the file at `path` (created on the first change). */
export function fileOutboxStore(path: string): OutboxStore {
  let state: { pending: OutgoingEvent[]; cursor: number | null } | null = null;
  let writing: Promise<void> = Promise.resolve();

  const current = async (): Promise<SavedState> => {
    if (state) return state;
    try {
      state = JSON.parse(await readFile(path, 'utf8')) as SavedState;
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENOENT') throw error;
      state = { pending: [], cursor: null };
    }
    return state;
  };

  const change = async (apply: (saved: SavedState) => void): Promise<void> => {
    const saved = await current();
    apply(saved);
    const text = JSON.stringify(saved);
    writing = writing.then(async () => {
      await writeFile(`${path}.tmp`, text);
      await rename(`${path}.tmp`, path);
    });
    await writing;
  };

  return {
    load: async () => {
      const saved = await current();
      return { pending: [...saved.pending], cursor: saved.cursor };
    },
    put: (event) =>
      change((saved) => {
        saved.pending = [...saved.pending.filter((e) => e.id !== event.id), event];
      }),
    remove: (id) =>
      change((saved) => {
        saved.pending = saved.pending.filter((e) => e.id !== id);
      }),
    setCursor: (seq) =>
      change((saved) => {
        saved.cursor = seq;
      }),
  };
}
