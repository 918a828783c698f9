/** The timing builds' notes: `performance.now()` per event id and hop, read back over HTTP. */
const notes = new Map<string, Record<string, number>>();

/** Notes when event `id` reached `hop` (the first time only). */
export function note(id: string | undefined, hop: string): void {
  if (!id) return;
  const entry = notes.get(id) ?? {};
  entry[hop] ??= performance.now();
  notes.set(id, entry);
}

/** The id of an `event` frame (or a baseline message), read before the code under test reads it. */
export function frameId(message: string | ArrayBuffer): string | undefined {
  if (typeof message !== 'string') return undefined;
  try {
    const frame = JSON.parse(message) as { type?: string; id?: string };
    return frame.type === undefined || frame.type === 'event' ? frame.id : undefined;
  } catch {
    return undefined;
  }
}

/** `GET /__bench/hops`: every note so far, then forgotten. */
export function notesResponse(request: Request): Response | null {
  if (new URL(request.url).pathname !== '/__bench/hops') return null;
  const body = JSON.stringify(Object.fromEntries(notes));
  notes.clear();
  return new Response(body, { headers: { 'content-type': 'application/json' } });
}
