/**
 * The test's mail relay: EMAIL_TRANSPORT=webhook posts every email to https://mail.test/
 * (vitest.config.ts). `catchMail()` spies on fetch to read what the user actors send there,
 * and can make the relay fail; every other outbound request still gets the 599 of the config.
 */
import { vi } from 'vitest';

export interface Caught {
  url: string;
  headers: Record<string, string>;
  body: string;
  json: { to: string; subject: string; text: string; html: string; kind: string };
}

export interface Relay {
  mails: Caught[];
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
  const real = globalThis.fetch.bind(globalThis);
  const mails: Caught[] = [];
  let status = 204;
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    if (new URL(request.url).host !== 'mail.test') return real(request);
    const body = await request.text();
    const caught = { url: request.url, headers: Object.fromEntries(request.headers), body, json: JSON.parse(body) };
    if (status < 300) mails.push(caught);
    return new Response(null, { status });
  });
  const find = (to: string, kind: string, seen: number) =>
    mails.filter((m) => m.json.to.toLowerCase() === to.toLowerCase() && m.json.kind === kind)[seen];
  const taken = new Map<string, number>();
  const relay: Relay = {
    mails,
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
