/** How deeply a parsed JSON value nests, checked without recursing past the limit. */

/**
 * True when `value` nests at most `limit` arrays or objects deep (a scalar is depth 0).
 * Stops descending once the limit is passed, so a hostile value cannot exhaust the stack here.
 */
export function withinDepth(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (limit <= 0) return false;
  const children = Array.isArray(value) ? value : Object.values(value);
  return children.every((child) => withinDepth(child, limit - 1));
}
