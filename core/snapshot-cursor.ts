/** The snapshot's page cursor: where the next page starts and the first page's head, opaque to clients. */
import * as v from 'valibot';
import { base64url, fromBase64url, utf8 } from './encoding';
import { SnapshotCursor } from './schemas/events';

export const encodeCursor = (cursor: SnapshotCursor): string => base64url(utf8(JSON.stringify(cursor)));

/** The cursor a client sent back, or null when it is not one this API gave out. */
export function decodeCursor(text: string): SnapshotCursor | null {
  const bytes = fromBase64url(text);
  if (!bytes) return null;
  try {
    const parsed = v.safeParse(
      SnapshotCursor,
      JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)),
    );
    return parsed.success ? parsed.output : null;
  } catch {
    return null;
  }
}
