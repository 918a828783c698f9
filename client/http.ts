/** The HTTP calls a device needs before it can connect. */
import type { PublicDeviceJwk } from './keys.ts';

export interface Device {
  id: string;
  name: string;
  platform: string | null;
  created_at: string;
  last_seen_at: string | null;
  online: boolean;
  revoked_at: string | null;
}

export interface RegisterOptions {
  /** The API's origin, such as `https://api.example.com`. */
  baseUrl: string;
  /** A token, or where to get a current one: `api.accessToken` of the HTTP client (`createApi`). */
  accessToken: string | (() => Promise<string>);
  name: string;
  publicJwk: PublicDeviceJwk;
  platform?: string;
  fetch?: typeof fetch;
}

/** Thrown when the API answers with an error. */
export class ApiRequestError extends Error {
  override name = 'ApiRequestError';
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Registers the device's public key (POST /v1/devices). */
export async function registerDevice(options: RegisterOptions): Promise<Device> {
  const send = options.fetch ?? fetch;
  const token = typeof options.accessToken === 'string' ? options.accessToken : await options.accessToken();
  const response = await send(new URL('/v1/devices', options.baseUrl), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: options.name, public_key: options.publicJwk, platform: options.platform }),
  });
  const body = (await response.json()) as { device?: Device; error?: { code: string; message: string } };
  if (!response.ok || !body.device) {
    throw new ApiRequestError(response.status, body.error?.code ?? 'unknown', body.error?.message ?? 'Request failed.');
  }
  return body.device;
}
