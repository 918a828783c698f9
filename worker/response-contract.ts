/**
 * In tests, every JSON answer of a route is checked against the schema it declares for its
 * status, so each integration test is also a contract test of /openapi.json. A mismatch is a
 * bug: it becomes a 500 whose log line names the route, the status and the failing path.
 */
import * as v from 'valibot';
import type { AnyRoute, Responses } from './route';

export class ResponseContractError extends Error {
  override name = 'ResponseContractError';
}

export async function checkResponseContract(route: AnyRoute, response: Response): Promise<void> {
  const spec = (route.responses as Responses)[response.status];
  if (!spec?.schema || !response.headers.get('content-type')?.includes('application/json')) return;
  const result = v.safeParse(spec.schema, await response.clone().json());
  if (result.success) return;
  const where = result.issues.map((issue) => `${v.getDotPath(issue) ?? '(root)'}: ${issue.message}`).join('; ');
  throw new ResponseContractError(`${route.method} ${route.path} ${response.status} breaks its schema: ${where}`);
}
