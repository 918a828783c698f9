/**
 * Valibot schemas to OpenAPI 3.1 schema objects, through @valibot/to-json-schema: the one
 * wrapper around that library.
 */
import { type JsonSchema, toJsonSchema } from '@valibot/to-json-schema';
import type * as v from 'valibot';

export type SchemaObject = Record<string, unknown>;

/**
 * Converts schemas for one document. Named definitions (recursive schemas) are hoisted into
 * `components.schemas`, since `#` in an OpenAPI document points at the document, not at the
 * schema that held `$defs`.
 */
export class SchemaConverter {
  readonly definitions: Record<string, SchemaObject> = {};
  private conversions = 0;

  /** Requests are documented as the client sends them (`input`), responses as sent back (`output`). */
  convert(schema: v.GenericSchema, typeMode: 'input' | 'output'): SchemaObject {
    const prefix = `Definition${++this.conversions}_`;
    const name = (id: string) => `${prefix}${id.replace(/[^A-Za-z0-9._-]/g, '_')}`;
    let converted: JsonSchema;
    try {
      converted = toJsonSchema(schema, {
        target: 'draft-2020-12',
        typeMode,
        // Transforms, custom checks and the like have no JSON Schema: document what can be said.
        errorMode: 'ignore',
        overrideRef: ({ referenceId }) => `#/components/schemas/${name(referenceId)}`,
      });
    } catch {
      return {};
    }
    const { $schema: _dialect, $defs, ...rest } = converted as SchemaObject & { $defs?: Record<string, SchemaObject> };
    for (const [id, definition] of Object.entries($defs ?? {})) this.definitions[name(id)] = definition;
    return rest;
  }
}

/** The first of a schema's `examples`, for the media type's `example`. */
export function firstExample(schema: SchemaObject): unknown {
  const examples = schema.examples;
  return Array.isArray(examples) && examples.length > 0 ? examples[0] : undefined;
}
