/**
 * The notes example's files (examples/notes, built into `public/examples/notes/` by
 * scripts/example-assets.ts), served from the assets in development and tests only, under a
 * CSP that allows this origin's scripts, styles, fetches and WebSockets and nothing else.
 */
const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

const csp = (host: string, secure: boolean) =>
  [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    'img-src data:',
    `connect-src 'self' ${secure ? 'wss' : 'ws'}://${host}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');

/** One of the example's files, or null for any other name. */
export async function exampleFile(assets: Fetcher, url: URL, name: string): Promise<Response | null> {
  const type = Object.hasOwn(FILES, name) ? FILES[name] : undefined;
  if (!type) return null;
  const response = await assets.fetch(new URL(`/examples/notes/${name}`, url.origin));
  // A missing file is a dev server started without the [build] step: a bug, not a 404.
  if (!response.ok) throw new Error(`example file ${name} answered ${response.status}`);
  return new Response(response.body, {
    headers: {
      'content-type': type,
      'cache-control': 'no-store',
      'content-security-policy': csp(url.host, url.protocol === 'https:'),
    },
  });
}
