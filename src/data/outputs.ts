import { validationProblem } from "./json-schema.js";
import type { JsonSchema } from "./schema.js";

export const DEFAULT_MAX_OUTPUT = 16 * 1024 * 1024;

/** Bytes of a value as JSON (UTF-8), as it is stored. */
const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value) ?? "null");

/**
 * Why the outputs an attempt gave do not fit its node, or null: a value larger
 * than `maxOutput` bytes; when the node declares outputs, a declared key missing,
 * an undeclared key given, or a value its schema refuses.
 */
export const outputsProblem = (
  declared: Readonly<Record<string, JsonSchema>> | undefined,
  outputs: Readonly<Record<string, unknown>> | null,
  maxOutput: number,
): string | null => {
  const given = outputs ?? {};
  for (const [key, value] of Object.entries(given)) {
    const bytes = jsonBytes(value);
    if (bytes > maxOutput)
      return `output ${key} is ${bytes} bytes, over the limit of ${maxOutput} (--max-output); pass large data as a file path`;
  }
  if (declared === undefined) return null;
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(declared, key)) {
      const names = Object.keys(declared).join(", ") || "none";
      return `output ${key} is not declared (the node declares: ${names})`;
    }
  }
  for (const [key, schema] of Object.entries(declared)) {
    if (!Object.hasOwn(given, key))
      return `declared output ${key} was not given (expected a value matching ${JSON.stringify(schema)})`;
    const problem = validationProblem(schema, given[key]);
    if (problem !== null) return `output ${key}: ${problem} (expected ${JSON.stringify(schema)})`;
  }
  return null;
};
