import { closest, distance } from "fastest-levenshtein";
import { InvalidSchemaError, schemaProblems } from "../data/json-schema.js";
import type { Issue } from "../util/issues.js";
import type { Catalog } from "./python-steps.js";

const didYouMean = (name: string, known: readonly string[]): string => {
  if (known.length === 0) return "";
  const near = closest(name, [...known]);
  return distance(name, near) <= Math.max(2, Math.floor(name.length / 3))
    ? ` (did you mean ${near}?)`
    : "";
};

/**
 * What is wrong with a node of task type `type` and these params: an unknown
 * type, a missing required field, a param breaking the type's schema, an
 * unknown or missing engine. `path` is where the node is (`nodes[2]`).
 */
export const taskTypeIssues = (
  catalog: Catalog,
  type: string,
  params: Readonly<Record<string, unknown>>,
  path: string,
): Issue[] => {
  const plugin = catalog.types.find((t) => t.type === type);
  if (plugin === undefined) {
    const known = catalog.types.map((t) => t.type).sort();
    return [
      {
        path: `${path}.uses`,
        message: `unknown task type ${type}${didYouMean(type, known)}; known types: ${known.join(", ") || "none"}`,
      },
    ];
  }
  const issues: Issue[] = plugin.required_fields
    .filter((field) => !(field in params))
    .map((field) => ({
      path: `${path}.params`,
      message: `task type ${type} requires field ${JSON.stringify(field)} in params`,
    }));
  if (plugin.param_schema !== null) {
    try {
      for (const problem of schemaProblems(plugin.param_schema, params)) {
        issues.push({
          path: `${path}.params${problem.path}`,
          message: `${problem.message} (param schema of task type ${type})`,
        });
      }
    } catch (error) {
      if (!(error instanceof InvalidSchemaError)) throw error;
      issues.push({
        path: `${path}.uses`,
        message: `task type ${type} has an invalid PARAM_SCHEMA (${plugin.source}): ${error.message}`,
      });
    }
  }
  const engine = params.engine;
  if (
    plugin.engines.length > 0 &&
    engine !== undefined &&
    !plugin.engines.includes(String(engine))
  ) {
    issues.push({
      path: `${path}.params.engine`,
      message: `task type ${type} has no engine ${JSON.stringify(engine)}${didYouMean(String(engine), plugin.engines)}; known engines: ${plugin.engines.join(", ")}`,
    });
  }
  return issues;
};

/** Plugin files that failed to import: each named, with its traceback. */
export const catalogIssues = (catalog: Catalog): Issue[] =>
  catalog.errors.map((e) => ({ path: "plugins", message: `${e.file}: ${e.error.trimEnd()}` }));
