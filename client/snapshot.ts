/**
 * Loads the snapshot over HTTP (GET /v1/events/snapshot, DESIGN.md §5 with the durability
 * work), for `fetchSnapshot`: one page per call, with a current access token each time.
 */
import { ApiRequestError } from './http.ts';
import type { SnapshotPage } from './protocol.ts';

export interface SnapshotLoaderOptions {
  /** The API's origin, such as `https://api.example.com`. */
  baseUrl: string;
  /** A token, or where to get a current one: `api.accessToken` of the HTTP client (`createApi`). */
  accessToken: string | (() => Promise<string>);
  /** Items per page (default 500). */
  limit?: number;
  fetch?: typeof fetch;
}

/** A `fetchSnapshot` for RealtimeClient's options. */
export function snapshotLoader(options: SnapshotLoaderOptions): (cursor: string | null) => Promise<SnapshotPage> {
  const send = options.fetch ?? fetch;
  return async (cursor) => {
    const url = new URL('/v1/events/snapshot', options.baseUrl);
    url.searchParams.set('limit', String(options.limit ?? 500));
    if (cursor !== null) url.searchParams.set('cursor', cursor);
    const token = typeof options.accessToken === 'string' ? options.accessToken : await options.accessToken();
    const response = await send(url, { headers: { authorization: `Bearer ${token}` } });
    const body = (await response.json()) as SnapshotPage & { error?: { code: string; message: string } };
    if (!response.ok) {
      throw new ApiRequestError(
        response.status,
        body.error?.code ?? 'unknown',
        body.error?.message ?? 'Request failed.',
      );
    }
    return { items: body.items, next_cursor: body.next_cursor, head: body.head };
  };
}
