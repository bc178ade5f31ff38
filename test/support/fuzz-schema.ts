/**
 * A plausible body for an OpenAPI (JSON Schema) request schema: examples and defaults where the
 * schema gives them, otherwise the simplest value of the right type and format. Fuzzing starts
 * from it and breaks it, so that most generated bodies are wrong in one place only.
 */

type Schema = Record<string, unknown>;
export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}
export interface Operation {
  security?: unknown[];
  parameters?: Array<{ in: string; name: string; required?: boolean; schema?: Schema }>;
  requestBody?: { content: Record<string, { schema: Schema }> };
}

export function sampleFor(doc: OpenApiDocument, schema: Schema | undefined, depth = 0): unknown {
  if (!schema || depth > 8) return null;
  if (typeof schema.$ref === "string") {
    const name = schema.$ref.split("/").at(-1)!;
    return sampleFor(doc, doc.components?.schemas?.[name], depth + 1);
  }
  if (schema.example !== undefined) return schema.example;
  if (schema.default !== undefined && schema.default !== null) return schema.default;
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  for (const key of ["anyOf", "oneOf"] as const) {
    const options = schema[key] as Schema[] | undefined;
    if (options) {
      const concrete = options.find((option) => option.type !== "null") ?? options[0];
      return sampleFor(doc, concrete, depth + 1);
    }
  }
  if (Array.isArray(schema.allOf)) {
    return Object.assign({}, ...schema.allOf.map((part) => sampleFor(doc, part, depth + 1)));
  }
  const type = Array.isArray(schema.type)
    ? schema.type.find((candidate) => candidate !== "null")
    : schema.type;
  switch (type) {
    case "object": {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const body: Record<string, unknown> = {};
      for (const [name, property] of Object.entries(properties)) {
        body[name] = sampleFor(doc, property, depth + 1);
      }
      if (Object.keys(properties).length === 0 && schema.additionalProperties) {
        body.en = sampleFor(doc, schema.additionalProperties as Schema, depth + 1);
      }
      return body;
    }
    case "array": {
      const min = typeof schema.minItems === "number" ? Math.max(1, schema.minItems) : 1;
      return Array.from({ length: min }, () => sampleFor(doc, schema.items as Schema, depth + 1));
    }
    case "integer":
    case "number":
      return typeof schema.minimum === "number" ? schema.minimum : 1;
    case "boolean":
      return true;
    case "string":
      return sampleString(schema);
    default:
      return null;
  }
}

function sampleString(schema: Schema): string {
  switch (schema.format) {
    case "uuid":
      return "0b7d5a2e-6c1f-4e39-8a8d-2f4b6c8d0e12";
    case "email":
      return "priya.raman@acmedental.example";
    case "date-time":
      return "2026-11-18T16:42:10Z";
    case "date":
      return "2026-11-18";
    case "uri":
    case "url":
      return "https://hooks.example/rapport";
    default: {
      const min = typeof schema.minLength === "number" ? schema.minLength : 1;
      return "sample".padEnd(min, "x");
    }
  }
}
