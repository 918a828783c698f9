/**
 * An actor's failure, where nobody waits for an answer: logged with what ties it to the rest
 * (request, user, device, run) and sent to Sentry when SENTRY_DSN is set.
 */
import { configFrom } from '../../core/config';
import { describeError, log } from '../../core/log';
import { reportActorError } from '../../core/sentry';

export type Tags = Record<string, string | null | undefined>;
export type ReportFailure = (error: unknown, operation: string, tags: Tags) => void;

/** `env` is read at each failure, so the actor's current bindings and settings apply. */
export function failureReporter(env: () => Env, ctx: DurableObjectState, actor: string): ReportFailure {
  return (error, operation, tags) => {
    log('error', `${actor} ${operation} failed`, { ...tags, ...describeError(error) });
    let config: ReturnType<typeof configFrom>;
    try {
      config = configFrom(env());
    } catch {
      return; // A refused configuration is reported by the Worker on every request.
    }
    if (!config.sentryDsn) return;
    const settings = { dsn: config.sentryDsn, environment: config.environment, release: config.version };
    reportActorError(error, settings, (promise) => ctx.waitUntil(promise), { actor, operation, tags });
  };
}
