import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import type { JsonSchema } from "./schema.js";

const ajv = new Ajv2020({ allErrors: false, strict: false });
/** Each distinct schema is compiled once, whatever message or node it comes from. */
const compiled = new Map<string, ValidateFunction>();

const compile = (schema: JsonSchema): ValidateFunction => {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (validate === undefined) {
    validate = ajv.compile(schema);
    compiled.set(key, validate);
  }
  return validate;
};

/** Why `schema` is not a usable JSON Schema, or null when it is. */
export const schemaProblem = (schema: JsonSchema): string | null => {
  try {
    compile(schema);
    return null;
  } catch (error) {
    return `not a valid JSON Schema: ${error instanceof Error ? error.message : String(error)}`;
  }
};

const describeError = (error: ErrorObject): string =>
  `${error.instancePath === "" ? "the value" : `at ${error.instancePath}`} ${error.message ?? "is not valid"}`;

/** What is wrong with `value` under `schema` (its first problem), or null when it validates. */
export const validationProblem = (schema: JsonSchema, value: unknown): string | null => {
  const validate = compile(schema);
  if (validate(value)) return null;
  const first = validate.errors?.[0];
  return first === undefined ? "the value does not match the schema" : describeError(first);
};
