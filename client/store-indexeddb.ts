/**
 * An outbox store in IndexedDB, for browsers: unanswered sends (in send order) and the
 * cursor, in a database of their own per device. Import it from the package's `./indexeddb` entry.
 */
import type { OutgoingEvent } from './protocol.ts';
import type { OutboxStore } from './store.ts';

const PENDING = 'pending';
const META = 'meta';

const done = <T>(request: IDBRequest<T>): Promise<T> =>
  new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

const committed = (tx: IDBTransaction): Promise<void> =>
  new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });

function open(name: string): Promise<IDBDatabase> {
  const request = indexedDB.open(name, 1);
  request.onupgradeneeded = () => {
    request.result.createObjectStore(PENDING, { keyPath: 'id' });
    request.result.createObjectStore(META);
  };
  return done(request);
}

/** Keeps the outbox in the IndexedDB database `name` (use one per device, such as `outbox-<deviceId>`). */
export function indexedDbOutboxStore(name: string): OutboxStore {
  let db: Promise<IDBDatabase> | null = null;
  const database = () => {
    db ??= open(name);
    return db;
  };
  let order = Date.now() * 1000;

  const write = async (stores: string[], act: (tx: IDBTransaction) => void): Promise<void> => {
    const tx = (await database()).transaction(stores, 'readwrite');
    act(tx);
    await committed(tx);
  };

  return {
    async load() {
      const tx = (await database()).transaction([PENDING, META], 'readonly');
      const [rows, cursor] = await Promise.all([
        done(tx.objectStore(PENDING).getAll() as IDBRequest<{ id: string; order: number; event: OutgoingEvent }[]>),
        done(tx.objectStore(META).get('cursor') as IDBRequest<number | undefined>),
      ]);
      rows.sort((a, b) => a.order - b.order);
      order = Math.max(order, ...rows.map((row) => row.order + 1));
      return { pending: rows.map((row) => row.event), cursor: cursor ?? null };
    },
    put: (event) => write([PENDING], (tx) => tx.objectStore(PENDING).put({ id: event.id, order: order++, event })),
    remove: (id) => write([PENDING], (tx) => tx.objectStore(PENDING).delete(id)),
    setCursor: (seq) => write([META], (tx) => tx.objectStore(META).put(seq, 'cursor')),
  };
}
