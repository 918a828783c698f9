/**
 * The 3.1 `webhooks` section: every event the app's WEBHOOK_URL receives (DESIGN.md §8), from
 * the same valibot schemas that type the events, with the Standard Webhooks headers.
 */
import { WEBHOOK_EVENTS, type WebhookType, webhookBody } from '../../core/schemas/webhooks';
import type { SchemaConverter } from './schemas';

const SIGNATURE_HEADERS = [
  ['webhook-id', 'The message id (`msg_…`), the same on every retry: dedupe on it.'],
  ['webhook-timestamp', 'Seconds since the epoch when this try was signed.'],
  [
    'webhook-signature',
    '`v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the secret (Standard Webhooks).',
  ],
] as const;

export function webhooks(converter: SchemaConverter): Record<string, Record<string, unknown>> {
  const types = Object.keys(WEBHOOK_EVENTS) as WebhookType[];
  return Object.fromEntries(
    types.map((type) => [
      type,
      {
        post: {
          operationId: `webhook_${type.replace(/\W/g, '_')}`,
          summary: WEBHOOK_EVENTS[type].summary,
          tags: ['Webhooks'],
          parameters: SIGNATURE_HEADERS.map(([name, description]) => ({
            name,
            in: 'header',
            required: true,
            description,
            schema: { type: 'string' },
          })),
          requestBody: {
            required: true,
            content: { 'application/json': { schema: converter.convert(webhookBody(type), 'output') } },
          },
          responses: {
            '2XX': { description: 'Received. Any other answer, or none within 10 s, is retried with backoff.' },
          },
        },
      },
    ]),
  );
}
