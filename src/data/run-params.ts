import { closest } from "fastest-levenshtein";
import { validationProblem } from "./json-schema.js";
import type { ParamDecls } from "./schema.js";

export type RunParamsResult =
  | { readonly ok: true; readonly params: Record<string, unknown> }
  | { readonly ok: false; readonly problems: readonly string[] };

/** `NAME=VALUE`: VALUE as JSON when it parses, else as a string. */
const parseAssignment = (text: string): { name: string; value: unknown } | null => {
  const eq = text.indexOf("=");
  if (eq <= 0) return null;
  const raw = text.slice(eq + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // Not JSON: the text itself.
  }
  return { name: text.slice(0, eq), value };
};

/**
 * A run's parameters: each declared one from `--param NAME=VALUE`, else its
 * default; each checked against its schema. Every problem is listed, naming the
 * parameter and the rule it breaks.
 */
export const resolveRunParams = (
  decls: ParamDecls,
  assignments: readonly string[],
): RunParamsResult => {
  const problems: string[] = [];
  const given = new Map<string, unknown>();
  const known = Object.keys(decls);
  for (const text of assignments) {
    const assignment = parseAssignment(text);
    if (assignment === null) {
      problems.push(`--param ${text}: expected NAME=VALUE`);
    } else if (!Object.hasOwn(decls, assignment.name)) {
      const hint =
        known.length === 0
          ? "the workflow declares no parameters"
          : `declared: ${known.join(", ")}; did you mean ${closest(assignment.name, known)}?`;
      problems.push(`--param ${assignment.name}: not a parameter of the workflow (${hint})`);
    } else {
      given.set(assignment.name, assignment.value);
    }
  }
  const params: Record<string, unknown> = {};
  for (const [name, decl] of Object.entries(decls)) {
    if (given.has(name)) params[name] = given.get(name);
    else if (Object.hasOwn(decl, "default")) params[name] = decl.default;
    else {
      problems.push(`--param ${name}: required (the parameter has no default)`);
      continue;
    }
    const problem = decl.schema === undefined ? null : validationProblem(decl.schema, params[name]);
    if (problem !== null)
      problems.push(
        `--param ${name}=${JSON.stringify(params[name])}: ${problem} (schema ${JSON.stringify(decl.schema)})`,
      );
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, params };
};
