/** Whether a database's schema can take an export: its migrations against the export's. */
export type SchemaLevel =
  | { status: 'same' }
  /** The target has every migration of the export and newer ones: loadable if they only added. */
  | { status: 'ahead'; extra: string[] }
  /** The target lacks migrations the export was made under: its columns may not exist. */
  | { status: 'behind'; missing: string[] };

export function compareMigrations(exported: readonly string[], target: readonly string[]): SchemaLevel {
  const missing = exported.filter((name) => !target.includes(name));
  if (missing.length) return { status: 'behind', missing };
  const extra = target.filter((name) => !exported.includes(name));
  return extra.length ? { status: 'ahead', extra } : { status: 'same' };
}
