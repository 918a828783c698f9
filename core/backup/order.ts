/** The order tables are restored in: every table after the tables its foreign keys point at. */
export interface Dependent {
  name: string;
  references: readonly { table: string }[];
}

export function restoreOrder<T extends Dependent>(tables: readonly T[]): T[] {
  const pending = [...tables].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const names = new Set(pending.map((t) => t.name));
  const placed = new Set<string>();
  const ordered: T[] = [];
  while (pending.length) {
    const ready = pending.findIndex((t) =>
      t.references.every((ref) => ref.table === t.name || placed.has(ref.table) || !names.has(ref.table)),
    );
    // A cycle of foreign keys has no such order; deferred foreign keys make any order work.
    const [next] = pending.splice(ready === -1 ? 0 : ready, 1);
    ordered.push(next!);
    placed.add(next!.name);
  }
  return ordered;
}
