/** The outcome of an operation whose failures are expected: the actor RPC convention. */
export type Result<T, E extends { type: string } = { type: string }> = { ok: true; value: T } | { ok: false; error: E };

/** The failures that D1 writes can expect. */
export type Conflict = { type: 'conflict' };
export type NotFound = { type: 'not_found' };

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const err = <E extends { type: string }>(error: E): { ok: false; error: E } => ({
  ok: false,
  error,
});
