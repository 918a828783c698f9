/** The operator endpoints that load a restored log and audit trail into a user's actor, as an ActorSink. */
import { err, ok, type Result } from '../result.ts';
import type { ActorSink, Refused } from './actor-restore.ts';

export function httpSink(baseUrl: string, adminToken: string, send: typeof fetch = fetch): ActorSink {
  const post = (path: string, body: unknown) =>
    send(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const user = (id: string) => `/v1/admin/users/${encodeURIComponent(id)}`;
  const log = (id: string) => `${user(id)}/log`;
  const load = async <T>(path: string, part: unknown): Promise<Result<T, Refused>> => {
    const response = await post(path, part);
    if (response.ok) return ok((await response.json()) as T);
    const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
    return err({
      type: 'refused',
      status: response.status,
      message: body?.error?.message ?? `HTTP ${response.status}`,
    });
  };
  return {
    load: (userId, part) => load(log(userId), part),
    loadAudit: (userId, part) => load(`${user(userId)}/audit`, part),
    async complete(userId, state) {
      const response = await post(`${log(userId)}/complete`, state);
      if (!response.ok) throw new Error(`completing the log of ${userId} answered HTTP ${response.status}`);
      return (await response.json()) as { events: number; head: number };
    },
  };
}
