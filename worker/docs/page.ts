/**
 * The /docs page: Swagger UI, every byte of it served by the Worker, under a CSP that allows
 * scripts and styles from this origin only.
 */

import styles from 'swagger-ui-dist/swagger-ui.css';
import bundle from 'swagger-ui-dist/swagger-ui-bundle.js';

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

// An inline script would need 'unsafe-inline': the start-up code is a file of its own.
// validatorUrl null: no call to the public validator service.
const INIT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
});
`;

const PAGE_STYLES =
  'html{box-sizing:border-box;overflow-y:scroll}*,*::before,*::after{box-sizing:inherit}body{margin:0;background:#fafafa}';

interface Asset {
  type: string;
  body: string;
}

/** The page's files by name, as served under /docs/. */
export const DOCS_ASSETS: Record<string, Asset> = {
  'swagger-ui-bundle.js': { type: 'text/javascript; charset=utf-8', body: bundle },
  'swagger-ui.css': {
    type: 'text/css; charset=utf-8',
    // The source map is not shipped; drop the comment that points at it.
    body: `${styles.replace(/\/\*# sourceMappingURL=[^*]*\*\/\s*$/, '')}\n${PAGE_STYLES}\n`,
  },
  'init.js': { type: 'text/javascript; charset=utf-8', body: INIT },
};

export function docsPage(): Response {
  return new Response(PAGE, {
    headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': DOCS_CSP },
  });
}

export function docsAsset(name: string): Response | null {
  const asset = Object.hasOwn(DOCS_ASSETS, name) ? DOCS_ASSETS[name] : undefined;
  if (!asset) return null;
  return new Response(asset.body, {
    headers: { 'content-type': asset.type, 'cache-control': 'public, max-age=3600' },
  });
}
