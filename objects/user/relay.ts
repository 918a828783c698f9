/**
 * Hands a committed event to the DeviceObjects of the user's other online devices. A device
 * whose actor answers that it has no socket after all is marked offline, unless a newer
 * presence report arrived meanwhile.
 */
import { describeError, log } from '../../core/log';
import { recordMetric } from '../../core/metrics';
import type { EventOut } from '../../core/schemas/events';
import type { Presence } from './presence';

/** `context`: what ties a failure's log line to the rest (the user, the request that appended). */
export async function relayEvent(
  env: Env,
  presence: Presence,
  event: EventOut,
  context: { user_id: string; request_id: string | null },
): Promise<void> {
  const targets = presence.onlineStamps().filter(({ deviceId }) => deviceId !== event.device_id);
  await Promise.all(
    targets.map(async ({ deviceId, stamp }) => {
      try {
        const connected = await env.DEVICE.getByName(deviceId).deliver(event);
        if (!connected) presence.drop(deviceId, stamp);
        else recordMetric(env.METRICS, { kind: 'event_relayed', latency_ms: Date.now() - Date.parse(event.at) });
      } catch (error) {
        log('warn', 'relay failed', { ...context, device_id: deviceId, seq: event.seq, ...describeError(error) });
      }
    }),
  );
}
