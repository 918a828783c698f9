import { readFileSync } from 'node:fs';
import { expect, inject, it } from 'vitest';
import { API_TYPES, apiTypesFrom } from '../scripts/client-generate.ts';
import { root } from './sandbox.ts';

it('has committed the client types of the document the Worker serves (npm run client:generate)', async () => {
  const generated = await apiTypesFrom(inject('baseUrl'));
  expect(generated).toContain('"/v1/auth/login"');
  expect(
    readFileSync(`${root}${API_TYPES}`, 'utf8') === generated,
    `${API_TYPES} is stale: npm run client:generate`,
  ).toBe(true);
});
