import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { type ParseError, parseTree, printParseErrorCode } from "jsonc-parser";
import { impliedPredecessors } from "../data/bindings.js";
import { dataIssues } from "../data/type-check.js";
import { Graph } from "../graph/graph.js";
import { validatePromise } from "../promises/validate.js";
import { errorMessage } from "../util/error-message.js";
import { type Issue, zodIssues } from "../util/issues.js";
import { excessiveDepthAt, MAX_JSON_DEPTH } from "../util/json-depth.js";
import { type Workflow, WorkflowSchema } from "./schema.js";

/** One problem in a workflow file: where (a JSON path, or line:column) and what was expected. */
export type WorkflowIssue = Issue;

export interface LoadedWorkflow {
  /** Absolute path of the workflow file. */
  readonly file: string;
  /** Directory tasks run in and `run` paths are relative to. */
  readonly dir: string;
  readonly workflow: Workflow;
}

export type LoadResult =
  | { readonly ok: true; readonly value: LoadedWorkflow }
  | { readonly ok: false; readonly file: string; readonly issues: readonly WorkflowIssue[] };

export const formatIssues = (file: string, issues: readonly WorkflowIssue[]): string =>
  issues.map((i) => `${file}: ${i.path ? `${i.path}: ` : ""}${i.message}`).join("\n");

/** Read, parse and fully validate a workflow file; every problem is listed, none thrown. */
export const loadWorkflow = (path: string): LoadResult => {
  const file = resolve(path);
  const fail = (issues: WorkflowIssue[]): LoadResult => ({ ok: false, file: path, issues });
  let text: string;
  try {
    if (statSync(file).isDirectory())
      return fail([{ path: "", message: "is a directory, expected a workflow JSON file" }]);
    text = readFileSync(file, "utf8");
  } catch {
    return fail([{ path: "", message: "cannot read the file (does it exist?)" }]);
  }
  const parsed = parseJson(text);
  if (!parsed.ok) return fail([parsed.issue]);
  const result = WorkflowSchema.safeParse(parsed.value);
  if (!result.success) return fail(zodIssues(result.error));
  const dir = dirname(file);
  const issues = semanticIssues(result.data, dir);
  return issues.length > 0
    ? fail(issues)
    : { ok: true, value: { file, dir, workflow: result.data } };
};

/** Parse JSON strictly; on a syntax error, say where (line and column) and what. */
const parseJson = (
  text: string,
): { ok: true; value: unknown } | { ok: false; issue: WorkflowIssue } => {
  const source = text.replace(/^\uFEFF/, "");
  const tooDeep = excessiveDepthAt(source);
  if (tooDeep !== null) {
    return {
      ok: false,
      issue: {
        path: lineAndColumn(source, tooDeep),
        message: `nested deeper than ${MAX_JSON_DEPTH} levels`,
      },
    };
  }
  try {
    return { ok: true, value: JSON.parse(source) };
  } catch (error) {
    // JSON.parse does not say where: a parser that keeps offsets finds the spot.
    // Building its tree costs more than the parse, so only a broken file pays.
    const errors: ParseError[] = [];
    const tree = parseTree(source, errors, { disallowComments: true, allowTrailingComma: false });
    const first = errors[0];
    const what = first ? printParseErrorCode(first.error) : tree === undefined ? "EmptyFile" : null;
    return {
      ok: false,
      issue: {
        path: lineAndColumn(source, first?.offset ?? source.length),
        message: `not valid JSON: ${what === null ? errorMessage(error) : (JSON_ERRORS[what] ?? what)}`,
      },
    };
  }
};

const lineAndColumn = (text: string, offset: number): string => {
  const before = text.slice(0, offset).split("\n");
  return `line ${before.length}, column ${before.at(-1)!.length + 1}`;
};

const JSON_ERRORS: Record<string, string> = {
  InvalidSymbol: "unexpected character",
  InvalidNumberFormat: "malformed number",
  PropertyNameExpected: "expected a property name in double quotes",
  ValueExpected: "expected a value",
  ColonExpected: "expected ':'",
  CommaExpected: "expected ','",
  CloseBraceExpected: "expected '}'",
  CloseBracketExpected: "expected ']'",
  EndOfFileExpected: "expected the end of the file",
  InvalidCommentToken: "comments are not allowed in JSON",
  UnexpectedEndOfComment: "unterminated comment",
  UnexpectedEndOfString: "unterminated string",
  UnexpectedEndOfNumber: "malformed number",
  InvalidUnicode: "malformed \\u escape",
  InvalidEscapeCharacter: "invalid escape character",
  InvalidCharacter: "invalid character in a string",
  EmptyFile: "the file is empty",
};

const semanticIssues = (workflow: Workflow, dir: string): WorkflowIssue[] => {
  const issues: WorkflowIssue[] = [];
  const ids = new Set<string>();
  // Many nodes often share one script: each file is looked at once.
  const isFile = new Map<string, boolean>();
  const scriptExists = (script: string): boolean => {
    let exists = isFile.get(script);
    if (exists === undefined) {
      exists = existsSync(script) && !statSync(script).isDirectory();
      isFile.set(script, exists);
    }
    return exists;
  };
  workflow.nodes.forEach((node, i) => {
    if (ids.has(node.id))
      issues.push({ path: `nodes[${i}].id`, message: `duplicate node id ${node.id}` });
    ids.add(node.id);
    if (!scriptExists(resolve(dir, node.run))) {
      issues.push({ path: `nodes[${i}].run`, message: `file not found: ${node.run}` });
    }
  });
  const edges: { from: string; to: string; path: string; implied?: true }[] = [];
  workflow.nodes.forEach((node, i) => {
    node.depends_on.forEach((from, j) => {
      edges.push({ from, to: node.id, path: `nodes[${i}].depends_on[${j}]` });
    });
  });
  workflow.edges.forEach((edge, i) => {
    edges.push({ from: edge.from, to: edge.to, path: `edges[${i}]` });
  });
  // A binding from a named node implies its edge: one edge, however often it is also given.
  workflow.nodes.forEach((node, i) => {
    for (const { name, from } of impliedPredecessors(node.inputs)) {
      if (ids.has(from))
        edges.push({ from, to: node.id, path: `nodes[${i}].inputs.${name}.node`, implied: true });
    }
  });
  const graph = new Graph();
  for (const node of workflow.nodes) {
    if (!graph.has(node.id))
      graph.addNode({ id: node.id, run: node.run, args: [], params: {}, createdBy: null });
  }
  for (const edge of edges) {
    const unknown = [edge.from, edge.to].find((id) => !ids.has(id));
    if (unknown !== undefined) {
      issues.push({ path: edge.path, message: `names unknown node ${unknown}` });
    } else if (graph.edge(edge.from, edge.to)) {
      if (edge.implied) continue;
      issues.push({ path: edge.path, message: `duplicate edge ${edge.from} -> ${edge.to}` });
    } else if (graph.wouldCycle(edge.from, edge.to)) {
      issues.push({
        path: edge.path,
        message: `edge ${edge.from} -> ${edge.to} closes a cycle; a workflow is a DAG`,
      });
    } else {
      graph.addEdge(edge.from, edge.to, null);
    }
  }
  issues.push(...dataIssues(workflow.nodes, workflow.params));
  const nodeExists = (id: string) => ids.has(id);
  workflow.promises.forEach((promise, i) => {
    issues.push(
      ...validatePromise(promise, { path: `promises[${i}]`, nodeExists, allowSelf: false }),
    );
  });
  workflow.nodes.forEach((node, i) => {
    node.promises.forEach((promise, j) => {
      issues.push(
        ...validatePromise(promise, {
          path: `nodes[${i}].promises[${j}]`,
          nodeExists,
          allowSelf: true,
        }),
      );
    });
  });
  return issues;
};
