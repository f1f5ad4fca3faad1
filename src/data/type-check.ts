import { closest } from "fastest-levenshtein";
import type { Issue } from "../util/issues.js";
import { schemaProblem, validationProblem } from "./json-schema.js";
import {
  type Binding,
  type JsonSchema,
  type NodeData,
  namedProducer,
  type ParamDecls,
} from "./schema.js";

/** What the checks need of a node: its id and data fields. */
export type DataNode = NodeData & { readonly id: string };

/** The JSON types a schema allows, when it says plainly (`"type"`); null when it does not. */
const declaredTypes = (schema: JsonSchema | undefined): Set<string> | null => {
  if (schema === undefined || typeof schema === "boolean") return null;
  const { type } = schema;
  if (typeof type === "string") return new Set([type]);
  if (Array.isArray(type) && type.every((t) => typeof t === "string")) return new Set(type);
  return null;
};

/** No value can satisfy both: their declared types do not meet (an integer is a number). */
export const plainlyIncompatible = (
  produced: JsonSchema | undefined,
  expected: JsonSchema | undefined,
): boolean => {
  const a = declaredTypes(produced);
  const b = declaredTypes(expected);
  if (a === null || b === null) return false;
  const meets = (x: string, y: string) =>
    x === y || (x === "integer" && y === "number") || (x === "number" && y === "integer");
  return ![...a].some((x) => [...b].some((y) => meets(x, y)));
};

const suggestion = (key: string, known: readonly string[]): string =>
  known.length === 0 ? "" : ` (did you mean ${closest(key, [...known])}?)`;

const schemaIssue = (path: string, schema: JsonSchema | undefined): Issue[] => {
  const problem = schema === undefined ? null : schemaProblem(schema);
  return problem === null ? [] : [{ path, message: problem }];
};

/** What the schema of the value a binding reads says, where it can be known before running. */
const sourceSchema = (
  binding: Binding,
  byId: ReadonlyMap<string, DataNode>,
  params: ParamDecls,
): JsonSchema | undefined => {
  if ("param" in binding) return params[binding.param]?.schema;
  const producer = namedProducer(binding);
  if (producer === null || !("node" in binding) || binding.output === undefined) return undefined;
  return byId.get(producer)?.outputs?.[binding.output];
};

const bindingIssues = (
  path: string,
  binding: Binding,
  byId: ReadonlyMap<string, DataNode>,
  params: ParamDecls,
): Issue[] => {
  const issues = schemaIssue(`${path}.schema`, binding.schema);
  if ("param" in binding && !Object.hasOwn(params, binding.param)) {
    const known = Object.keys(params);
    issues.push({
      path: `${path}.param`,
      message: `the workflow declares no run parameter ${binding.param}${suggestion(binding.param, known)}`,
    });
  }
  const producer = namedProducer(binding);
  if (producer !== null && "node" in binding) {
    const node = byId.get(producer);
    if (node === undefined) {
      issues.push({
        path: `${path}.node`,
        message: `names unknown node ${producer}${suggestion(producer, [...byId.keys()])}`,
      });
    } else if (
      binding.output !== undefined &&
      node.outputs !== undefined &&
      !Object.hasOwn(node.outputs, binding.output)
    ) {
      const declared = Object.keys(node.outputs);
      issues.push({
        path: `${path}.output`,
        message: `${producer} declares no output ${binding.output} (it declares: ${declared.join(", ") || "none"})${suggestion(binding.output, declared)}`,
      });
    }
  }
  const produced = sourceSchema(binding, byId, params);
  if (issues.length === 0 && plainlyIncompatible(produced, binding.schema)) {
    issues.push({
      path: `${path}.schema`,
      message: `expects ${JSON.stringify(binding.schema)} but the bound value is declared ${JSON.stringify(produced)}`,
    });
  }
  if ("value" in binding && binding.schema !== undefined && issues.length === 0) {
    const problem = validationProblem(binding.schema, binding.value);
    if (problem !== null) issues.push({ path: `${path}.value`, message: problem });
  }
  return issues;
};

/**
 * The data declarations of a workflow, checked before anything runs: every schema
 * compiles, every run parameter's default fits it, and every binding names
 * something that can exist (a declared output, a declared parameter) of a type
 * that can match. Paths are JSON paths into the file.
 */
export const dataIssues = (nodes: readonly DataNode[], params: ParamDecls): Issue[] => {
  const issues: Issue[] = [];
  for (const [name, decl] of Object.entries(params)) {
    const path = `params.${name}`;
    const broken = schemaIssue(`${path}.schema`, decl.schema);
    issues.push(...broken);
    if (broken.length === 0 && decl.schema !== undefined && Object.hasOwn(decl, "default")) {
      const problem = validationProblem(decl.schema, decl.default);
      if (problem !== null) issues.push({ path: `${path}.default`, message: problem });
    }
  }
  const byId = new Map(nodes.map((node) => [node.id, node]));
  nodes.forEach((node, i) => {
    for (const [key, schema] of Object.entries(node.outputs ?? {}))
      issues.push(...schemaIssue(`nodes[${i}].outputs.${key}`, schema));
    for (const [name, binding] of Object.entries(node.inputs ?? {}))
      issues.push(...bindingIssues(`nodes[${i}].inputs.${name}`, binding, byId, params));
  });
  return issues;
};
