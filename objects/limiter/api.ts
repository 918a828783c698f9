/**
 * The Worker's view of LimiterObject: what `beginLogin` answers (`hit` and `refund` answer
 * core's `Decision`). The Worker imports these from here and nothing else from the limiter.
 */
export type { GuardState } from '../shared/attempt-guard';
