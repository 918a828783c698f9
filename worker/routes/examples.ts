/** The browser example (examples/notes), served by `npm start` in development and in tests only. */

import type { RequestContext } from '../context';
import { ApiError } from '../errors';
import { exampleFile } from '../examples/notes';
import { route } from '../route';

const SERVED_IN = new Set(['development', 'test']);

const serve = async (request: Request, rc: RequestContext, file: string): Promise<Response> => {
  if (!SERVED_IN.has(rc.config.environment)) throw new ApiError('not_found');
  const response = await exampleFile(rc.env.ASSETS, new URL(request.url), file);
  if (!response) throw new ApiError('not_found');
  return response;
};

export const exampleRoutes = [
  route({
    method: 'GET',
    path: '/examples/notes',
    summary: 'The notes example’s page (development only)',
    tag: 'Examples',
    access: 'public',
    responses: { 200: { description: 'HTML.' }, 404: { description: 'Not in development (`not_found`).' } },
    handle: ({ request, rc }) => serve(request, rc, 'index.html'),
  }),
  route({
    method: 'GET',
    path: '/examples/notes/:file',
    summary: 'A script or stylesheet of the notes example (development only)',
    tag: 'Examples',
    access: 'public',
    responses: {
      200: { description: 'JavaScript or CSS.' },
      404: { description: 'Not in development, or no such file (`not_found`).' },
    },
    handle: ({ request, rc, params }) => serve(request, rc, params.file ?? ''),
  }),
];
