/** Error reporting through toucan-js: request and user ids attached, bodies and headers scrubbed. */
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
