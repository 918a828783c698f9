/** Every route of the API, in one list: the router and the OpenAPI document both read it. */
import type { AnyRoute } from '../route';
import { adminRoutes } from './admin';
import { adminKeyRoutes } from './admin-keys';
import { adminUserRoutes } from './admin-users';
import { apiKeyRoutes } from './api-keys';
import { authRoutes } from './auth';
import { connectionRoutes } from './connections';
import { deviceRoutes } from './devices';
import { docsRoutes } from './docs';
import { eventRoutes } from './events';
import { exampleRoutes } from './examples';
import { healthRoutes } from './health';
import { meRoutes } from './me';
import { mfaRoutes } from './mfa';
import { oauthRoutes } from './oauth';
import { reauthRoutes } from './reauth';
import { sessionRoutes } from './sessions';

const apiRoutes: readonly AnyRoute[] = [
  ...healthRoutes,
  ...authRoutes,
  ...reauthRoutes,
  ...sessionRoutes,
  ...meRoutes,
  ...mfaRoutes,
  ...apiKeyRoutes,
  ...deviceRoutes,
  ...eventRoutes,
  ...oauthRoutes,
  ...connectionRoutes,
  ...adminRoutes,
  ...adminKeyRoutes,
  ...adminUserRoutes,
];

const served: readonly AnyRoute[] = [...apiRoutes, ...exampleRoutes];

export const routes: readonly AnyRoute[] = [...served, ...docsRoutes(served)];
