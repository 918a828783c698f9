/**
 * Error reporting through toucan-js: request and user ids attached, bodies and headers
 * scrubbed. The Worker reports a failed request; an actor reports work that has no request of
 * its own to fail (a socket frame, an alarm job, a backup step, a dead letter).
 */
import { Toucan } from 'toucan-js';
import { redact } from './log';

export interface ErrorReport {
  dsn: string;
  environment: string;
  release: string;
  exec: ExecutionContext;
  request: Request;
  requestId: string;
  userId: string | null;
}

export function reportError(error: unknown, report: ErrorReport): void {
  if (!report.dsn) return;
  const sentry = new Toucan({
    dsn: report.dsn,
    environment: report.environment,
    release: report.release,
    context: report.exec,
    request: report.request,
    requestDataOptions: { allowedHeaders: ['user-agent', 'x-request-id'], allowedCookies: [], allowedSearchParams: [] },
    beforeSend(event) {
      if (event.request) {
        delete event.request.data;
        delete event.request.cookies;
        delete event.request.query_string;
      }
      return redact(event) as typeof event;
    },
  });
  sentry.setTag('request_id', report.requestId);
  if (report.userId) sentry.setUser({ id: report.userId });
  sentry.captureException(error);
}

export interface SentrySettings {
  dsn: string;
  environment: string;
  release: string;
}

export interface ActorErrorReport {
  /** The actor class (`user`, `device`, `maintenance`) and what failed in it (`socket_message`, …). */
  actor: string;
  operation: string;
  /** What ties the error to the rest: `request_id`, `user_id`, `device_id`, `run_id`, `job`. */
  tags: Record<string, string | null | undefined>;
}

/** Reports an actor's error when a DSN is set; the send runs under the actor's `waitUntil`. */
export function reportActorError(
  error: unknown,
  settings: SentrySettings,
  waitUntil: ExecutionContext['waitUntil'],
  report: ActorErrorReport,
): void {
  if (!settings.dsn) return;
  const sentry = new Toucan({
    dsn: settings.dsn,
    environment: settings.environment,
    release: settings.release,
    context: { waitUntil },
    beforeSend: (event) => redact(event) as typeof event,
  });
  sentry.setTag('actor', report.actor);
  sentry.setTag('operation', report.operation);
  for (const [name, value] of Object.entries(report.tags)) if (value) sentry.setTag(name, value);
  if (report.tags.user_id) sentry.setUser({ id: report.tags.user_id });
  sentry.captureException(error);
}
