import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";

const ajv = new Ajv({ allErrors: true, strict: false });
/** Each schema is compiled once: many nodes share a task type's schema. */
const compiled = new Map<string, ValidateFunction>();

export interface SchemaProblem {
  /** JSON path below the validated value, e.g. `.url` (empty for the value itself). */
  readonly path: string;
  readonly message: string;
}

/** A JSON Schema that cannot be compiled, said plainly. */
export class InvalidSchemaError extends Error {}

const validatorFor = (schema: unknown): ValidateFunction => {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (validate === undefined) {
    try {
      validate = ajv.compile(schema as object);
    } catch (error) {
      throw new InvalidSchemaError(error instanceof Error ? error.message : String(error));
    }
    compiled.set(key, validate);
  }
  return validate;
};

const pathOf = (error: ErrorObject): string =>
  error.instancePath
    .split("/")
    .slice(1)
    .map((part) =>
      /^\d+$/.test(part) ? `[${part}]` : `.${part.replace(/~1/g, "/").replace(/~0/g, "~")}`,
    )
    .join("");

/** Every way `value` breaks `schema` (none when it matches). */
export const schemaProblems = (schema: unknown, value: unknown): SchemaProblem[] => {
  const validate = validatorFor(schema);
  if (validate(value)) return [];
  return (validate.errors ?? []).map((error) => ({
    path: pathOf(error),
    message: error.message ?? "does not match the schema",
  }));
};
