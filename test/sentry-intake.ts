/** Sentry's intake, mocked (a third party's HTTP): every envelope sent to the test DSN, as text. */
import { vi } from 'vitest';

export const SENTRY_DSN = 'https://public@sentry.example/1';

export function sentryIntake(): string[] {
  const envelopes: string[] = [];
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!url.startsWith('https://sentry.example/')) return new Response('unexpected', { status: 599 });
    envelopes.push(typeof init?.body === 'string' ? init.body : await new Response(init?.body).text());
    return new Response('{}', { status: 200 });
  });
  return envelopes;
}
