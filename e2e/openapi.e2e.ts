import { Validator } from '@seriousme/openapi-schema-validator';
import { expect, inject, it } from 'vitest';

it('serves an OpenAPI document that a real OpenAPI 3.1 validator accepts', async () => {
  const response = await fetch(`${inject('baseUrl')}/openapi.json`);
  expect(response.status).toBe(200);
  const document = (await response.json()) as Record<string, unknown>;
  const validator = new Validator();
  const result = await validator.validate(document);
  expect(result.errors ?? []).toEqual([]);
  expect(result.valid).toBe(true);
  expect(validator.version).toBe('3.1');
  // Every $ref resolves.
  expect(() => validator.resolveRefs()).not.toThrow();
});
