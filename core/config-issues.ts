/**
 * Configuration problems as one readable line each: the variable and the path inside it
 * (`RATE_LIMITS.auth.window_s must be an integer >= 1`), never the offending value.
 */
import type * as v from 'valibot';

/** Requirements for valibot's own messages, which would quote the value they received. */
const REQUIREMENTS: Record<string, (expected: string | null) => string> = {
  integer: () => 'must be an integer',
  url: () => 'must be a URL',
  regex: (expected) => `must match ${expected}`,
  min_length: (expected) => (expected === '>=1' ? 'must not be empty' : `must have length ${expected}`),
  max_length: (expected) => `must have length ${expected}`,
  min_value: (expected) => `must be ${expected}`,
  max_value: (expected) => `must be ${expected}`,
};

/** `NAME`, `NAME.key.key` or `NAME[0].key`; `configuration` when the issue has no path. */
export function issuePath(issue: v.BaseIssue<unknown>): string {
  let path = '';
  for (const item of issue.path ?? []) {
    const key = item.key;
    if (typeof key === 'number') path += `[${key}]`;
    else path += path ? `.${String(key)}` : String(key);
  }
  return path || 'configuration';
}

function requirement(issue: v.BaseIssue<unknown>): string {
  if (!issue.message.startsWith('Invalid ')) return issue.message;
  if (issue.expected === 'never') return 'is not a known key';
  const known = REQUIREMENTS[issue.type];
  if (known) return known(issue.expected);
  if (issue.kind === 'schema' && issue.expected) return `must be ${issue.expected}`;
  return 'is invalid';
}

/** One line per problem, without repeats (two checks may share one message). */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string[] {
  return [...new Set(issues.map((issue) => `${issuePath(issue)} ${requirement(issue)}`))];
}
