/** The router: every declared route, its guards and input parsing, and one error mapping. */
import { type IRequest, Router } from 'itty-router';
import type { RequestContext } from './context';
import { ApiError, errorResponse } from './errors';
import { enforceAccess, enforceIpLimit } from './guards';
import { readJson, validate } from './http/body';
import { checkResponseContract } from './response-contract';
import { type AnyRoute, json } from './route';
import { routes } from './routes';

type Args = [Env, ExecutionContext, RequestContext];

async function run(route: AnyRoute, request: IRequest, rc: RequestContext): Promise<Response> {
  rc.route = route.path;
  if (route.ipLimit) await enforceIpLimit(rc, route.ipLimit);
  await enforceAccess(route, request, rc);
  const body = route.body
    ? validate(route.body, await readJson(request, route.bodyOptional ? {} : undefined, route.maxBodyBytes))
    : undefined;
  const query = route.query ? validate(route.query, Object.fromEntries(new URL(request.url).searchParams)) : undefined;
  const reply = (status: number, data: unknown, headers?: HeadersInit) => json(data, status, headers);
  const response = await route.handle({ request, rc, params: request.params, body, query, reply });
  if (rc.config.environment === 'test') await checkResponseContract(route, response);
  return response;
}

export function buildRouter(list: readonly AnyRoute[]) {
  const router = Router<IRequest, Args>({
    catch(error, _request, _env, _exec, rc: RequestContext) {
      if (!(error instanceof ApiError)) rc.failure = error;
      return errorResponse(error, rc.requestId);
    },
  });
  for (const route of list) {
    router[route.method.toLowerCase() as 'get'](
      route.path,
      (request: IRequest, _env: Env, _exec: ExecutionContext, rc: RequestContext) => run(route, request, rc),
    );
  }
  router.all('*', () => {
    throw new ApiError('not_found');
  });
  return router;
}

export const router = buildRouter(routes);
