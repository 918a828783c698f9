/** Unix milliseconds as the API shows them: ISO 8601, or null. */
export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
