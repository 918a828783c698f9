/** Every route of the API, in one list: the router and the OpenAPI document both read it. */
import type { AnyRoute } from '../route';
import { healthRoutes } from './health';

export const routes: readonly AnyRoute[] = [...healthRoutes];
