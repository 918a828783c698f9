/**
 * The notes example: sign in, register this browser as a device (once per user), and keep
 * notes in sync across tabs and devices through the realtime SDK. Each note is a key of the
 * `notes` stream; a note written offline waits in the IndexedDB outbox and goes out on reconnect.
 * Tabs of one browser share its device, and the server never sends a device its own events, so
 * tabs tell each other their notes over a BroadcastChannel.
 */
import {
  type Api,
  createApi,
  generateDeviceKey,
  RealtimeClient,
  type RealtimeEvent,
  registerDevice,
  type User,
} from '../../client/index.ts';
import { indexedDbOutboxStore } from '../../client/store-indexeddb.ts';
import { loadDevice, type SavedDevice, saveDevice } from './device.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const origin = location.origin;
const notes = new Map<string, string>();
let api: Api | null = null;
let client: RealtimeClient | null = null;
const tabs = new BroadcastChannel('notes-example');

function say(text: string): void {
  $('status').textContent = text;
}

function render(): void {
  const list = $('notes');
  list.replaceChildren(
    ...[...notes.values()].map((text) => {
      const item = document.createElement('li');
      item.textContent = text;
      return item;
    }),
  );
}

function setNote(key: string, text: string): void {
  notes.set(key, text);
  render();
}

function apply(event: RealtimeEvent): void {
  if (event.stream !== 'notes' || event.key === null) return;
  setNote(event.key, String((event.payload as { text?: unknown }).text ?? ''));
}

tabs.addEventListener('message', (event: MessageEvent<{ key: string; text: string }>) =>
  setNote(event.data.key, event.data.text),
);

async function deviceFor(user: User, signedIn: Api): Promise<SavedDevice> {
  const saved = await loadDevice(user.id);
  if (saved) return saved;
  const key = await generateDeviceKey('Ed25519');
  const name = `browser ${crypto.randomUUID().slice(0, 8)}`;
  const device = await registerDevice({
    baseUrl: origin,
    accessToken: signedIn.accessToken,
    name,
    publicJwk: key.publicJwk,
    platform: 'web',
  });
  const fresh = { id: device.id, key: { algorithm: key.algorithm, privateKey: key.privateKey } };
  await saveDevice(user.id, fresh);
  return fresh;
}

async function start(user: User, signedIn: Api): Promise<void> {
  const device = await deviceFor(user, signedIn);
  $('device').textContent = device.id;
  $('app').hidden = false;
  $('account').hidden = true;
  client = new RealtimeClient({
    baseUrl: origin,
    deviceId: device.id,
    key: device.key,
    store: indexedDbOutboxStore(`outbox-${device.id}`),
    backoff: { initialMs: 250, maxMs: 3_000 },
    onEvent: apply,
    onStatus: (status, detail) => say(detail ? `${status} (${detail.code} ${detail.reason})` : status),
  });
  addEventListener('online', () => client?.reconnectNow());
  await client.connect();
}

async function signIn(create: boolean): Promise<void> {
  const email = $<HTMLInputElement>('email').value;
  const password = $<HTMLInputElement>('password').value;
  const signedIn = createApi({ baseUrl: origin });
  try {
    say(create ? 'signing up …' : 'signing in …');
    let user: User;
    if (create) user = await signedIn.signUp({ email, password });
    else {
      const step = await signedIn.signIn({ email, password });
      if (step.status !== 'signed_in') return say('this example does not do MFA: use an account without it');
      user = step.user;
    }
    api = signedIn;
    await start(user, signedIn);
  } catch (error) {
    say(`failed: ${(error as Error).message}`);
  }
}

async function refreshDevices(): Promise<void> {
  if (!api) return;
  const { data } = await api.client.GET('/v1/devices');
  $('devices').replaceChildren(
    ...(data?.devices ?? []).map((device) => {
      const item = document.createElement('li');
      item.textContent = `${device.name} (${device.id}) ${device.revoked_at ? 'revoked' : device.online ? 'online' : 'offline'} `;
      if (!device.revoked_at && device.id !== $('device').textContent) {
        const revoke = document.createElement('button');
        revoke.textContent = 'Revoke';
        revoke.dataset.device = device.id;
        revoke.addEventListener('click', async () => {
          await api?.client.DELETE('/v1/devices/{id}', { params: { path: { id: device.id } } });
          await refreshDevices();
        });
        item.append(revoke);
      }
      return item;
    }),
  );
}

$('account').addEventListener('submit', (event) => {
  event.preventDefault();
  void signIn(false);
});
$('sign-up').addEventListener('click', () => void signIn(true));
$('refresh').addEventListener('click', () => void refreshDevices());
$('compose').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = $<HTMLInputElement>('text');
  const key = `note-${crypto.randomUUID()}`;
  setNote(key, input.value);
  tabs.postMessage({ key, text: input.value });
  client
    ?.send({ id: crypto.randomUUID(), stream: 'notes', key, payload: { text: input.value } })
    .catch((error: Error) => say(`not saved: ${error.message}`));
  input.value = '';
});
