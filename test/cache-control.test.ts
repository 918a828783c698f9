import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, login, PASSWORD, signup, uniqueEmail } from './helpers';

type User = Awaited<ReturnType<typeof signup>>;

const expectNoStore = (response: Response, label: string) =>
  expect(response.headers.get('cache-control'), `${label} (${response.status})`).toBe('no-store');

describe('cache-control: no-store', () => {
  let user: User;
  beforeAll(async () => {
    user = await signup();
  });

  it('is on answers that carry tokens', async () => {
    expectNoStore(
      await call('/v1/auth/signup', { method: 'POST', body: { email: uniqueEmail(), password: PASSWORD } }),
      'signup',
    );
    expectNoStore(await login(user.email, user.password), 'login');
    expectNoStore(
      await call('/v1/auth/refresh', { method: 'POST', body: { refresh_token: user.refresh_token } }),
      'refresh',
    );
  });

  it('is on the errors of the auth, MFA, OAuth and API-key routes', async () => {
    expectNoStore(await login(user.email, 'a wrong password of some length'), 'failed login');
    expectNoStore(await call('/v1/auth/refresh', { method: 'POST', body: { refresh_token: 'nope' } }), 'refresh');
    expectNoStore(await call('/v1/auth/mfa', { method: 'POST', body: { mfa_token: 'x', code: '123456' } }), 'mfa');
    expectNoStore(await call('/v1/oauth/exchange', { method: 'POST', body: { login_code: 'nope' } }), 'exchange');
    expectNoStore(await call('/v1/me/api-keys', { method: 'POST', token: user.access_token, body: {} }), 'api key');
    expectNoStore(await call('/v1/oauth/nobody/start'), 'oauth start');
  });

  it('is on every authenticated GET and its errors', async () => {
    for (const path of ['/v1/me', '/v1/me/export', '/v1/devices', '/v1/events', '/v1/auth/sessions', '/v1/me/audit']) {
      const response = await call(path, { token: user.access_token });
      expect(response.status, path).toBe(200);
      expectNoStore(response, path);
    }
    expectNoStore(await call('/v1/me'), 'unauthenticated /v1/me');
    expectNoStore(await call('/v1/devices/unknown-device', { token: user.access_token }), 'unknown device');
    expectNoStore(await call('/v1/admin/backups', { token: env.ADMIN_TOKEN }), 'admin list');
    expectNoStore(await call('/v1/admin/backups', { token: 'wrong' }), 'admin refused');
  });

  it('is on any other /v1 answer, a 404 included', async () => {
    expectNoStore(await call('/v1/nothing-here'), 'unknown path');
  });

  it('leaves the public keys and the docs assets cacheable', async () => {
    expect((await call('/.well-known/jwks.json')).headers.get('cache-control')).toBe('public, max-age=300');
    const page = await call('/docs');
    const asset = (await page.text()).match(/\/docs\/([\w.-]+\.(?:js|css))/)?.[1];
    expect(asset).toBeDefined();
    expect((await call(`/docs/${asset}`)).headers.get('cache-control')).toBe('public, max-age=3600');
  });
});
