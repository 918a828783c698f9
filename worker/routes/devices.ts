/** The signed-in user's devices: register, list, rename, revoke, and the socket upgrade (DESIGN.md §5). */
import * as v from 'valibot';
import {
  findLiveDevice,
  findOwnDevice,
  insertDevice,
  listDevices,
  parsePublicKey,
  renameDevice,
  revokeDevice,
} from '../../core/db/devices';
import { importDeviceKey } from '../../core/device-key';
import { randomId } from '../../core/encoding';
import { DeviceEnvelope, DeviceParams, DevicesOut, RegisterDevice, RenameDevice } from '../../core/schemas/devices';
import { ReauthRequiredOut, withStepUp } from '../../core/schemas/step-up';
import { connectRequest } from '../../objects/device/api';
import type { DeviceActivity } from '../../objects/user/api';
import { userActor } from '../auth/actor';
import { audit } from '../auth/audit';
import { requireStepUp } from '../auth/step-up';
import type { RequestContext, SignedInContext } from '../context';
import { refusedSocket } from '../devices/refused-socket';
import { deviceView } from '../devices/view';
import { ApiError, invalidField, orFail } from '../errors';
import { validate } from '../http/body';
import { noContent, route } from '../route';

const nameTaken = () => new ApiError('conflict', 'You already have a device with this name.');
const deviceRevoked = () => new ApiError('conflict', 'The device is revoked.');

/** The caller's device named by the path; another user's device does not exist. */
async function ownDevice(rc: SignedInContext, params: Record<string, string>) {
  const { id } = validate(DeviceParams, params);
  const row = await findOwnDevice(rc.d1.primary(), rc.principal.userId, id);
  if (!row) throw new ApiError('not_found', 'No such device.');
  return row;
}

async function activityOf(rc: RequestContext, userId: string, deviceId: string): Promise<DeviceActivity | undefined> {
  return (await userActor(rc, userId).deviceActivity()).find((a) => a.deviceId === deviceId);
}

export const deviceRoutes = [
  route({
    method: 'POST',
    path: '/v1/devices',
    summary: 'Register a device and its public key (step-up; a session, never an API key)',
    tag: 'Devices',
    access: 'user',
    scope: 'account',
    body: withStepUp(RegisterDevice),
    responses: {
      201: { description: 'The registered device.', schema: DeviceEnvelope },
      401: {
        description: '`reauth_required`: no sign-in in the last 10 minutes and no `reauth` proof.',
        schema: ReauthRequiredOut,
      },
      409: { description: 'You already have a live device of this name (case-insensitive).' },
    },
    async handle({ rc, body, reply }) {
      if (!(await importDeviceKey(body.public_key))) {
        throw invalidField('public_key', 'is not a valid public key');
      }
      const userId = rc.principal.userId;
      await requireStepUp(rc, body.reauth);
      const row = {
        id: randomId(),
        userId,
        name: body.name,
        platform: body.platform ?? null,
        publicKey: JSON.stringify(body.public_key),
        createdAt: Date.now(),
        lastSeenAt: null,
        revokedAt: null,
      };
      orFail(await insertDevice(rc.d1.primary(), row), { conflict: nameTaken });
      await audit(rc, userId, 'device_registered', { device_id: row.id, name: row.name });
      return reply(201, { device: deviceView(row, undefined) });
    },
  }),
  route({
    method: 'GET',
    path: '/v1/devices',
    summary: 'List your devices, revoked ones included',
    tag: 'Devices',
    access: 'user',
    scope: 'read',
    responses: { 200: { description: 'Oldest first; `online` when a socket is connected.', schema: DevicesOut } },
    async handle({ rc, reply }) {
      const userId = rc.principal.userId;
      const [rows, activity] = await Promise.all([
        listDevices(rc.d1.replica(), userId),
        userActor(rc, userId).deviceActivity(),
      ]);
      const byId = new Map(activity.map((a) => [a.deviceId, a]));
      return reply(200, { devices: rows.map((row) => deviceView(row, byId.get(row.id))) });
    },
  }),
  route({
    method: 'PATCH',
    path: '/v1/devices/:id',
    summary: 'Rename a device',
    tag: 'Devices',
    access: 'user',
    scope: 'write',
    body: RenameDevice,
    responses: {
      200: { description: 'The renamed device.', schema: DeviceEnvelope },
      404: { description: 'You have no device with this id.' },
      409: { description: 'The name is taken by another live device of yours, or the device is revoked.' },
    },
    async handle({ rc, params, body, reply }) {
      const device = await ownDevice(rc, params);
      if (device.revokedAt !== null) throw deviceRevoked();
      const row = orFail(await renameDevice(rc.d1.primary(), device.userId, device.id, body.name), {
        conflict: nameTaken,
        not_found: deviceRevoked,
      });
      return reply(200, { device: deviceView(row, await activityOf(rc, device.userId, device.id)) });
    },
  }),
  route({
    method: 'DELETE',
    path: '/v1/devices/:id',
    summary: 'Revoke a device: its sockets close with 1008 at once',
    tag: 'Devices',
    access: 'user',
    scope: 'write',
    responses: {
      204: { description: 'Revoked (again, if it already was).' },
      404: { description: 'You have no device with this id.' },
    },
    async handle({ rc, params }) {
      const device = await ownDevice(rc, params);
      const revoked = await revokeDevice(rc.d1.primary(), device.userId, device.id);
      // Also when D1 already said revoked: a retry finishes a revocation whose actor call failed.
      await rc.env.DEVICE.getByName(device.id).revoke();
      if (revoked) {
        await audit(rc, device.userId, 'device_revoked', { device_id: device.id });
      }
      return noContent();
    },
  }),
  route({
    method: 'GET',
    path: '/v1/devices/:id/ws',
    summary: 'Open the device’s WebSocket (the handshake’s signature authenticates it)',
    tag: 'Devices',
    access: 'public',
    ipLimit: 'connect',
    responses: {
      101: {
        description:
          'Switching protocols; the hello / challenge / auth / ready handshake follows. For an unknown or revoked device the socket is closed at once with 1008 and the reason `unknown or revoked device`.',
      },
      400: { description: 'Not a WebSocket upgrade.' },
    },
    async handle({ request, rc, params }) {
      if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
        throw new ApiError('invalid_request', 'This path expects a WebSocket upgrade.');
      }
      const id = v.safeParse(DeviceParams, params);
      // One D1 read decides: random or revoked ids never reach, or create, an actor.
      const device = id.success ? await findLiveDevice(rc.env.DB, id.output.id) : undefined;
      if (!device) return refusedSocket('unknown or revoked device');
      const record = {
        deviceId: device.id,
        userId: device.userId,
        publicKey: parsePublicKey(device),
        wsLimit: rc.config.rateLimits.ws,
      };
      return rc.env.DEVICE.getByName(device.id).fetch(connectRequest(record, rc.requestId));
    },
  }),
];
