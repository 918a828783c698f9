/**
 * Standard Webhooks (standardwebhooks.com) signatures, through the `standardwebhooks` package:
 * the three headers a receiver verifies a delivery with.
 */
import { Webhook } from 'standardwebhooks';

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** Headers for `body` sent as message `id` at `at`, signed with a `whsec_…` secret. */
export function signedHeaders(secret: string, id: string, at: Date, body: string): SignedHeaders {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, body),
  };
}
