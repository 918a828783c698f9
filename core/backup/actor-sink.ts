/** The operator endpoints that load a restored log into a user's actor, as an ActorSink. */
import { err, ok } from '../result.ts';
import type { ActorSink } from './actor-restore.ts';

export function httpSink(baseUrl: string, adminToken: string, send: typeof fetch = fetch): ActorSink {
  const post = (path: string, body: unknown) =>
    send(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const users = (id: string) => `/v1/admin/users/${encodeURIComponent(id)}/log`;
  return {
    async load(userId, part) {
      const response = await post(users(userId), part);
      if (response.ok) return ok((await response.json()) as { events: number });
      const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
      return err({
        type: 'refused',
        status: response.status,
        message: body?.error?.message ?? `HTTP ${response.status}`,
      });
    },
    async complete(userId, state) {
      const response = await post(`${users(userId)}/complete`, state);
      if (!response.ok) throw new Error(`completing the log of ${userId} answered HTTP ${response.status}`);
      return (await response.json()) as { events: number; head: number };
    },
  };
}
