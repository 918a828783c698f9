/**
 * The test's mail relay: EMAIL_TRANSPORT=webhook posts every email to https://mail.test/
 * (vitest.config.ts). `catchMail()` spies on fetch to read what the user actors send there,
 * and can make the relay fail; every other outbound request still gets the 599 of the config.
 */
import { env } from 'cloudflare:workers';
import { vi } from 'vitest';

export interface Caught {
  url: string;
  headers: Record<string, string>;
  body: string;
  json: { to: string; subject: string; text: string; html: string; kind: string };
}

export interface Relay {
  /** Mails the relay accepted. */
  mails: Caught[];
  /** Every request that reached the relay, accepted or not, with its `webhook-id`. */
  attempts: { id: string; status: number }[];
  /** Holds the answer to the next request until the returned function is called. */
  hold: () => () => void;
  /** How the relay answers from now on: 204 by default. */
  answer: (status: number) => void;
  /** The next mail of `kind` to `to` (waits for the alarm that delivers it). */
  next(to: string, kind: string): Promise<Caught>;
  /** The token of the link in the mail of `kind` to `to`. */
  token(to: string, kind: string): Promise<string>;
}

export const tokenOf = (mail: Caught): string => {
  const link = /https?:\/\/\S+/.exec(mail.json.text)?.[0];
  const token = link ? new URL(link).searchParams.get('token') : null;
  if (!token) throw new Error(`no link with a token in ${mail.json.kind}`);
  return token;
};

export function catchMail(): Relay {
  // Another mock of fetch (a fake OAuth provider) keeps answering everything but the relay.
  const current = globalThis.fetch;
  const real: typeof fetch =
    (vi.isMockFunction(current) ? (current.getMockImplementation() as typeof fetch | undefined) : undefined) ??
    current.bind(globalThis);
  const mails: Caught[] = [];
  const attempts: { id: string; status: number }[] = [];
  let status = 204;
  let holdNext: Promise<void> | null = null;
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    if (new URL(request.url).host !== 'mail.test') return real(request);
    const body = await request.text();
    const caught = { url: request.url, headers: Object.fromEntries(request.headers), body, json: JSON.parse(body) };
    const answer = status;
    attempts.push({ id: caught.headers['webhook-id'] ?? '', status: answer });
    const held = holdNext;
    holdNext = null;
    if (held) await held;
    if (answer < 300) mails.push(caught);
    return new Response(null, { status: answer });
  });
  const find = (to: string, kind: string, seen: number) =>
    mails.filter((m) => m.json.to.toLowerCase() === to.toLowerCase() && m.json.kind === kind)[seen];
  const taken = new Map<string, number>();
  const relay: Relay = {
    mails,
    attempts,
    hold: () => {
      let release = () => {};
      holdNext = new Promise((resolve) => {
        release = resolve;
      });
      return release;
    },
    answer: (next) => {
      status = next;
    },
    async next(to, kind) {
      const key = `${to.toLowerCase()} ${kind}`;
      const seen = taken.get(key) ?? 0;
      const mail = await vi.waitFor(
        () => {
          const found = find(to, kind, seen);
          if (!found) throw new Error(`no ${kind} mail to ${to} yet`);
          return found;
        },
        { timeout: 5_000, interval: 20 },
      );
      taken.set(key, seen + 1);
      return mail;
    },
    token: async (to, kind) => tokenOf(await relay.next(to, kind)),
  };
  return relay;
}

/** Waits until the user's outbox is empty: its mail left, so a forced alarm runs the other jobs. */
export async function outboxDrained(userId: string): Promise<void> {
  await vi.waitFor(
    async () => {
      const held = await env.USER.getByName(userId).outboxMessages();
      if (held.length) throw new Error(`${held.length} messages still in the outbox`);
    },
    { timeout: 5_000, interval: 20 },
  );
}
