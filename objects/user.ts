/**
 * UserObject: one per user. The authority on that user's sessions, lockout and rate-limit
 * counters, and the owner of the user's ordered event log.
 */
import { DurableObject } from 'cloudflare:workers';

export class UserObject extends DurableObject<Env> {}
