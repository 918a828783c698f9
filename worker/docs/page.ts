/**
 * The /docs page: Swagger UI, served from this origin under a CSP that allows scripts and
 * styles from this origin only. Its files are static assets (`public/docs/`, written by
 * scripts/docs-assets.ts), read through the `ASSETS` binding so they get the same headers
 * and log line as every other answer.
 */

export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  // Swagger UI's stylesheet draws its icons as data: SVGs.
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>durable-backend API reference</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<noscript>This page needs JavaScript. The OpenAPI document is at <a href="/openapi.json">/openapi.json</a>.</noscript>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;

/** The page's files by name, with their content types. */
const DOCS_ASSETS: Record<string, string> = {
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui.css': 'text/css; charset=utf-8',
  'init.js': 'text/javascript; charset=utf-8',
};

export function docsPage(): Response {
  return new Response(PAGE, {
    headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': DOCS_CSP },
  });
}

/** One of the page's files from the assets, or null for any other name. */
export async function docsAsset(assets: Fetcher, origin: string, name: string): Promise<Response | null> {
  const type = Object.hasOwn(DOCS_ASSETS, name) ? DOCS_ASSETS[name] : undefined;
  if (!type) return null;
  const response = await assets.fetch(new URL(`/docs/${name}`, origin));
  // A missing file is a deployment without `scripts/docs-assets.ts`: a bug, not a 404.
  if (!response.ok) throw new Error(`docs asset ${name} answered ${response.status}`);
  return new Response(response.body, {
    headers: { 'content-type': type, 'cache-control': 'public, max-age=3600' },
  });
}
