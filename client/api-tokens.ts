/** Where the HTTP client keeps a signed-in user's tokens, and the one refresh in flight. */

/** A session's tokens; `expires_at` is when the access token expires (ms since the epoch). */
export interface Tokens {
  access_token: string;
  refresh_token: string;
  expires_at: number;
}

/** Keeps tokens between calls (and, if it persists them, between runs). */
export interface TokenStorage {
  load(): Tokens | null | Promise<Tokens | null>;
  save(tokens: Tokens | null): void | Promise<void>;
}

/** Tokens held in memory only: gone when the process or the page goes. */
export function memoryStorage(): TokenStorage {
  let tokens: Tokens | null = null;
  return {
    load: () => tokens,
    save: (next) => {
      tokens = next;
    },
  };
}

/** Calls `run` once for any number of concurrent callers, who all get its result. */
export function singleFlight<T>(run: () => Promise<T>): () => Promise<T> {
  let current: Promise<T> | null = null;
  return () => {
    current ??= run().finally(() => {
      current = null;
    });
    return current;
  };
}
