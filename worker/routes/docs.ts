/** The API reference: the OpenAPI document and the page that renders it. */
import * as v from 'valibot';
import { docsAsset, docsPage } from '../docs/page';
import { ApiError } from '../errors';
import { openApiDocument } from '../openapi/document';
import { type AnyRoute, route } from '../route';

const Document = v.pipe(
  v.object({ openapi: v.string(), info: v.object({ title: v.string(), version: v.string() }) }),
  v.description('An OpenAPI 3.1 document.'),
);

/**
 * The reference routes for the API made of `api` and these routes themselves. Taking the list
 * as an argument keeps this module from importing the route index that includes it.
 */
export function docsRoutes(api: readonly AnyRoute[]): AnyRoute[] {
  const all: AnyRoute[] = [];
  const own = [
    route({
      method: 'GET',
      path: '/openapi.json',
      summary: 'This OpenAPI 3.1 document',
      tag: 'Reference',
      access: 'public',
      responses: { 200: { description: 'Generated from the route declarations.', schema: Document } },
      handle: ({ rc, reply }) => reply(200, openApiDocument(all, rc.config.version)),
    }),
    route({
      method: 'GET',
      path: '/docs',
      summary: 'The API reference page (HTML)',
      tag: 'Reference',
      access: 'public',
      responses: { 200: { description: 'An HTML page that renders /openapi.json.' } },
      handle: () => docsPage(),
    }),
    route({
      method: 'GET',
      path: '/docs/:asset',
      summary: 'A script or stylesheet of the reference page',
      tag: 'Reference',
      access: 'public',
      responses: {
        200: { description: 'JavaScript or CSS.' },
        404: { description: 'No such file (`not_found`).' },
      },
      handle: async ({ request, rc, params }) => {
        const response = await docsAsset(rc.env.ASSETS, new URL(request.url).origin, params.asset ?? '');
        if (!response) throw new ApiError('not_found');
        return response;
      },
    }),
  ];
  all.push(...api, ...own);
  return own;
}
