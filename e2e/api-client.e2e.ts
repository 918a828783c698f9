import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Api,
  createApi,
  generateDeviceKey,
  memoryStorage,
  registerDevice,
  type TokenStorage,
} from '../client/index.ts';
import { DEV_AUTH_LIMIT } from '../scripts/dev-config.ts';
import { type DevServer, startDevServer } from '../scripts/dev-server.ts';
import { root, runScript } from './sandbox.ts';

// Its own server: a per-user `api` limit of 4 per 2 s, so a burst meets a 429 and its retry-after.
const API_LIMIT = { limit: 4, window_s: 2 };
let server: DevServer;

beforeAll(async () => {
  server = await startDevServer(root, { RATE_LIMITS: JSON.stringify({ auth: DEV_AUTH_LIMIT, api: API_LIMIT }) });
});

afterAll(() => server?.stop());

interface Seen {
  path: string;
  status: number;
}

/** An API client whose every HTTP exchange is recorded in `seen`. */
function recorded(storage: TokenStorage = memoryStorage(), retries?: number) {
  const seen: Seen[] = [];
  const api = createApi({
    baseUrl: server.url,
    storage,
    retry: retries === undefined ? {} : { retries },
    fetch: async (request) => {
      const response = await fetch(request);
      seen.push({ path: new URL(request.url).pathname, status: response.status });
      return response;
    },
  });
  return { api, seen, storage };
}

const email = () => `api-${crypto.randomUUID()}@example.com`;
const PASSWORD = 'correct horse battery staple';

async function signedUp(storage?: TokenStorage) {
  const client = recorded(storage);
  await client.api.signUp({ email: email(), password: PASSWORD, name: 'Ada' });
  return client;
}

async function me(api: Api) {
  const { data, response } = await api.client.GET('/v1/me');
  expect(response.status).toBe(200);
  return data!;
}

describe('createApi', () => {
  it('signs up, keeps the tokens in its storage and calls typed routes with them', async () => {
    const { api, storage } = await signedUp();
    const tokens = await storage.load();
    expect(tokens?.access_token).toMatch(/^ey/);
    expect(tokens!.expires_at).toBeGreaterThan(Date.now() + 800_000);
    expect((await me(api)).name).toBe('Ada');
    const { data } = await api.client.POST('/v1/events', {
      body: { id: crypto.randomUUID(), stream: 'notes', payload: { text: 'typed' } },
    });
    expect(data?.seq).toBe(1);
  });

  it('signs in with a password and refuses a wrong one with the API error code', async () => {
    const address = email();
    await recorded().api.signUp({ email: address, password: PASSWORD });
    const { api, storage } = recorded();
    await expect(api.signIn({ email: address, password: 'wrong password, clearly' })).rejects.toMatchObject({
      status: 401,
      code: 'unauthorized',
    });
    expect(await storage.load()).toBeNull();
    expect(await api.signIn({ email: address, password: PASSWORD })).toMatchObject({ status: 'signed_in' });
    expect((await me(api)).email).toBe(address);
  });

  it('refreshes an access token about to expire before it sends the call', async () => {
    const { api, storage, seen } = await signedUp();
    const before = (await storage.load())!;
    await storage.save({ ...before, expires_at: Date.now() + 5_000 });
    await me(api);
    expect(seen.filter((entry) => entry.path === '/v1/auth/refresh')).toEqual([
      { path: '/v1/auth/refresh', status: 200 },
    ]);
    const after = (await storage.load())!;
    expect(after.refresh_token).not.toBe(before.refresh_token);
    expect(after.access_token).not.toBe(before.access_token);
  });

  it('refreshes once for concurrent calls whose token was refused, and repeats each of them', async () => {
    const { api, storage, seen } = await signedUp();
    const tokens = (await storage.load())!;
    await storage.save({ ...tokens, access_token: `${tokens.access_token.slice(0, -4)}AAAA` });
    const answers = await Promise.all([1, 2, 3].map(() => api.client.GET('/v1/me')));
    expect(answers.map((answer) => answer.response.status)).toEqual([200, 200, 200]);
    expect(seen.filter((entry) => entry.path === '/v1/auth/refresh')).toHaveLength(1);
    expect(seen.filter((entry) => entry.status === 401)).toHaveLength(3);
  });

  it('signs out: the session ends and the storage is emptied', async () => {
    const { api, storage } = await signedUp();
    const { refresh_token } = (await storage.load())!;
    await api.signOut();
    expect(await storage.load()).toBeNull();
    const { response } = await recorded().api.client.POST('/v1/auth/refresh', { body: { refresh_token } });
    expect(response.status).toBe(401);
  });

  it('signs in with a second factor', async () => {
    const address = email();
    const first = recorded();
    await first.api.signUp({ email: address, password: PASSWORD });
    const enrolment = await first.api.client.POST('/v1/me/mfa/totp');
    const secret = enrolment.data!.secret;
    const confirmed = await first.api.client.POST('/v1/me/mfa/totp/confirm', {
      body: { code: runScript(root, 'scripts/totp.ts', [secret]).stdout.trim() },
    });
    const backup = confirmed.data!.backup_codes[0]!;

    const { api } = recorded();
    const step = await api.signIn({ email: address, password: PASSWORD });
    if (step.status !== 'mfa_required') throw new Error(`expected mfa_required, got ${step.status}`);
    await expect(api.completeMfa(step.mfaToken, '000000')).rejects.toMatchObject({ status: 401 });
    expect((await api.completeMfa(step.mfaToken, backup)).mfa_enabled).toBe(true);
    expect((await me(api)).mfa_enabled).toBe(true);
  });

  it('waits out a 429 for as long as retry-after says, then gets the answer', async () => {
    const { api, seen } = await signedUp();
    const started = Date.now();
    for (let call = 0; call < API_LIMIT.limit + 2; call++) await me(api);
    const limited = seen.filter((entry) => entry.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('hands the 429 back once its retries are spent', async () => {
    const { storage } = await signedUp();
    const { api } = recorded(storage, 0);
    const statuses: number[] = [];
    for (let call = 0; call < API_LIMIT.limit + 1; call++) {
      statuses.push((await api.client.GET('/v1/me')).response.status);
    }
    expect(statuses).toContain(429);
  });

  it('gives the realtime SDK a current access token', async () => {
    const { api } = await signedUp();
    const { publicJwk } = await generateDeviceKey('Ed25519');
    const device = await registerDevice({
      baseUrl: server.url,
      accessToken: api.accessToken,
      name: 'typed',
      publicJwk,
    });
    const { data } = await api.client.GET('/v1/devices');
    expect(data?.devices.map((listed) => listed.id)).toEqual([device.id]);
  });

  it('in cookie mode keeps no token in script and refreshes through the refresh cookie', async () => {
    // What a browser does for this origin: keep the cookies it is given and send an Origin.
    const jar = new Map<string, string>();
    const seen: Seen[] = [];
    const storage = memoryStorage();
    const api = createApi({
      baseUrl: server.url,
      storage,
      mode: 'cookie',
      fetch: async (request) => {
        const sent = new Request(request);
        sent.headers.set('origin', 'http://localhost:3000');
        if (jar.size) sent.headers.set('cookie', [...jar].map(([name, value]) => `${name}=${value}`).join('; '));
        const response = await fetch(sent);
        for (const cookie of response.headers.getSetCookie()) {
          const [pair = ''] = cookie.split(';');
          const [name = '', value = ''] = pair.split('=');
          if (/max-age=0/i.test(cookie) || value === '') jar.delete(name);
          else jar.set(name, value);
        }
        seen.push({ path: new URL(request.url).pathname, status: response.status });
        return response;
      },
    });
    await api.signUp({ email: email(), password: PASSWORD });
    expect([...jar.keys()].sort()).toEqual(['__Host-access', '__Host-refresh']);
    expect(await storage.load()).toBeNull();
    expect((await me(api)).mfa_enabled).toBe(false);
    jar.delete('__Host-access');
    await me(api);
    expect(seen.filter((entry) => entry.path === '/v1/auth/refresh')).toEqual([
      { path: '/v1/auth/refresh', status: 200 },
    ]);
    await expect(api.accessToken()).rejects.toMatchObject({ code: 'invalid_request' });
  });
});
