import { describe, expect, it } from 'vitest';
import { call, expectError } from './helpers';

const csp = (response: Response) =>
  Object.fromEntries(
    (response.headers.get('content-security-policy') ?? '').split(';').map((part) => {
      const [name = '', ...values] = part.trim().split(/\s+/);
      return [name, values];
    }),
  );

describe('GET /docs', () => {
  it('answers an HTML page under a CSP that allows scripts and styles from this origin only', async () => {
    const response = await call('/docs');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const policy = csp(response);
    expect(policy['default-src']).toEqual(["'none'"]);
    expect(policy['script-src']).toEqual(["'self'"]);
    expect(policy['style-src']).toEqual(["'self'"]);
    expect(policy['frame-ancestors']).toEqual(["'none'"]);
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    const html = await response.text();
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=/);
  });

  it('serves every script and stylesheet the page links, from the Worker itself', async () => {
    const html = await (await call('/docs')).text();
    const links = [...html.matchAll(/(?:src|href)="(\/docs\/[^"]+)"/g)].map((match) => match[1]!);
    expect(links.sort()).toEqual(['/docs/init.js', '/docs/swagger-ui-bundle.js', '/docs/swagger-ui.css']);
    for (const link of links) {
      const response = await call(link);
      expect(response.status, link).toBe(200);
      const type = response.headers.get('content-type');
      expect(type).toBe(link.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8');
      expect((await response.text()).length, link).toBeGreaterThan(100);
    }
  });

  it('points the renderer at /openapi.json', async () => {
    expect(await (await call('/docs/init.js')).text()).toContain("url: '/openapi.json'");
  });

  it('answers not_found for any other file', async () => {
    await expectError(await call('/docs/index.html'), 404, 'not_found');
    await expectError(await call('/docs/constructor'), 404, 'not_found');
  });
});
