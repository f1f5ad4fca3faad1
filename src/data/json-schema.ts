import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";

/**
 * JSON Schema validation (2020-12) for everything orch checks against a schema:
 * outputs, inputs, run parameters, answers, plugin params. Each distinct schema is
 * compiled once, whatever message or node it comes from.
 */
const ajv = new Ajv2020({ allErrors: true, strict: false });
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

/** Why `schema` is not a usable JSON Schema, or null when it is. */
export const schemaProblem = (schema: unknown): string | null => {
  try {
    validatorFor(schema);
    return null;
  } catch (error) {
    return `not a valid JSON Schema: ${error instanceof Error ? error.message : String(error)}`;
  }
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

/** What is wrong with `value` under `schema` (its first problem), or null when it validates. */
export const validationProblem = (schema: unknown, value: unknown): string | null => {
  const validate = validatorFor(schema);
  if (validate(value)) return null;
  const first = validate.errors?.[0];
  if (first === undefined) return "the value does not match the schema";
  const where = first.instancePath === "" ? "the value" : `at ${first.instancePath}`;
  return `${where} ${first.message ?? "is not valid"}`;
};
