import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { type ParseError, parseTree, printParseErrorCode } from "jsonc-parser";
import { impliedPredecessors } from "../data/bindings.js";
import { dataIssues } from "../data/type-check.js";
import { Graph } from "../graph/graph.js";
import { loopError } from "../graph/mutations.js";
import { checkTemplates, validatePromise } from "../promises/validate.js";
import { duplicateKeys } from "../util/duplicate-keys.js";
import { errorMessage } from "../util/error-message.js";
import { type Issue, zodIssues } from "../util/issues.js";
import { excessiveDepthAt, MAX_JSON_DEPTH } from "../util/json-depth.js";
import { catalogIssues, taskTypeIssues } from "./plugin-checks.js";
import { buildPythonWorkflow, discoverPlugins, functionSignatures } from "./python-steps.js";
import { type Workflow, WorkflowSchema } from "./schema.js";
import { LooseWorkflowSchema, type WorkflowSkeleton } from "./skeleton.js";
import { taskFieldCount, taskRefOf } from "./task-ref.js";

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

/** `pipeline.py` or `pipeline.py:NAME`: a Python file whose `@workflow` function builds the workflow. */
const PYTHON_WORKFLOW = /^(.+\.py)(?::([\w.-]+))?$/;

/** The file a workflow argument names (`x.json`, `x.py`, `x.py:NAME`), or null for anything else. */
export const workflowFileOf = (target: string): string | null =>
  PYTHON_WORKFLOW.exec(target)?.[1] ?? (target.endsWith(".json") ? target : null);

/**
 * Read, parse and fully validate a workflow: a JSON file, or a Python file
 * (`pipeline.py[:NAME]`) whose workflow is built by a Python step. Every
 * problem is listed, none thrown. Schema errors and graph errors (unknown
 * nodes, cycles, bad promises) come together, so one pass shows them all.
 */
export const loadWorkflow = (path: string): LoadResult => {
  const python = PYTHON_WORKFLOW.exec(path);
  const file = resolve(python?.[1] ?? path);
  const fail = (issues: WorkflowIssue[]): LoadResult => ({ ok: false, file: path, issues });
  const read = readText(file);
  if (!read.ok) return fail([read.issue]);
  const dir = dirname(file);
  let document: unknown;
  if (python) {
    const built = buildPythonWorkflow(file, python[2] ?? null, dir);
    if (!built.ok) return fail([{ path: "", message: built.message }]);
    document = built.document;
  } else {
    const parsed = parseJson(read.text);
    if (!parsed.ok) return fail([parsed.issue]);
    document = parsed.value;
  }
  const result = WorkflowSchema.safeParse(document);
  const issues = [
    ...(python ? [] : duplicateKeys(read.text)),
    ...(result.success ? [] : zodIssues(result.error, "", WorkflowSchema)),
    ...semanticIssues(
      result.success ? result.data : LooseWorkflowSchema.parse(document),
      dir,
      result.success ? result.data : null,
    ),
  ];
  if (issues.length > 0 || !result.success) return fail(issues);
  const plugins = pluginIssues(result.data, dir);
  if (plugins.length > 0) return fail(plugins);
  const typed = withFunctionSchemas(result.data, dir);
  return typed.ok
    ? { ok: true, value: { file, dir, workflow: typed.workflow } }
    : fail(typed.issues);
};

/**
 * `call` nodes with their functions' type hints as schemas: the return hint
 * declares output `result` (unless the node declares its outputs), and each
 * hinted parameter's schema goes on its input binding (unless it has one).
 */
const withFunctionSchemas = (
  workflow: Workflow,
  dir: string,
): { ok: true; workflow: Workflow } | { ok: false; issues: WorkflowIssue[] } => {
  const calls = workflow.nodes.flatMap((node) => (node.call === undefined ? [] : [node.call]));
  if (calls.length === 0) return { ok: true, workflow };
  const files = calls.map((target) => moduleFile(target, dir)!);
  const signatures = functionSignatures([...new Set(calls)], [...new Set(files)], dir);
  const issues: WorkflowIssue[] = [];
  const nodes = workflow.nodes.map((node, i) => {
    const signature = node.call === undefined ? undefined : signatures[node.call];
    if (signature === undefined) return node;
    if ("error" in signature) {
      issues.push({
        path: `nodes[${i}].call`,
        message: `cannot load ${node.call}:\n${signature.error.trimEnd()}`,
      });
      return node;
    }
    const inputs =
      node.inputs &&
      Object.fromEntries(
        Object.entries(node.inputs).map(([name, binding]) => {
          const schema = signature.inputs[name];
          return [
            name,
            schema === undefined || "schema" in binding ? binding : { ...binding, schema },
          ];
        }),
      );
    const outputs =
      node.outputs ?? (signature.output === null ? undefined : { result: signature.output });
    return { ...node, ...(inputs ? { inputs } : {}), ...(outputs ? { outputs } : {}) };
  });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, workflow: { ...workflow, nodes } };
};

/** Task types of `uses` nodes, checked against the plugins the workflow can see. */
const pluginIssues = (workflow: Workflow, dir: string): WorkflowIssue[] => {
  if (workflow.plugins.length === 0 && workflow.nodes.every((n) => n.uses === undefined)) return [];
  const catalog = discoverPlugins(workflow.plugins.map((folder) => resolve(dir, folder)));
  return [
    ...catalogIssues(catalog),
    ...workflow.nodes.flatMap((node, i) =>
      node.uses === undefined ? [] : taskTypeIssues(catalog, node.uses, node.params, `nodes[${i}]`),
    ),
  ];
};

/** Where `import a.b` finds module `a.b` in `dir`, if it is there. */
const moduleFile = (target: string, dir: string): string | null => {
  const base = join(dir, ...target.split(":")[0]!.split("."));
  return [`${base}.py`, join(base, "__init__.py")].find((f) => existsSync(f)) ?? null;
};

type ReadResult = { ok: true; text: string } | { ok: false; issue: WorkflowIssue };

const READ_ERRORS: Record<string, string> = {
  ENOENT: "file not found",
  ELOOP: "is a loop of symbolic links, not a file",
  EACCES: "permission denied: orch cannot read it",
  EISDIR: "is a directory, expected a workflow JSON or Python file",
};

/** The file as UTF-8 text, or what it is instead (missing, a loop, UTF-16, binary). */
const readText = (file: string): ReadResult => {
  const fail = (message: string): ReadResult => ({ ok: false, issue: { path: "", message } });
  let bytes: Buffer;
  try {
    if (statSync(file).isDirectory()) return fail(READ_ERRORS.EISDIR!);
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    return fail(READ_ERRORS[code] ?? `cannot read the file: ${errorMessage(error)}`);
  }
  const encoding = unicodeEncodingOf(bytes);
  if (encoding !== null)
    return fail(`is ${encoding} text; a workflow file must be UTF-8 (save it as UTF-8)`);
  try {
    return { ok: true, text: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
  } catch {
    return fail("is not UTF-8 text (a binary file?); a workflow file must be UTF-8");
  }
};

/** UTF-16 or UTF-32, told by a byte-order mark or by the zero bytes around ASCII. */
const unicodeEncodingOf = (bytes: Buffer): string | null => {
  const [b0, b1, b2, b3] = bytes;
  if (b0 === 0xff && b1 === 0xfe) return b2 === 0 && b3 === 0 ? "UTF-32" : "UTF-16";
  if (b0 === 0 && b1 === 0 && b2 === 0xfe && b3 === 0xff) return "UTF-32";
  if (b0 === 0xfe && b1 === 0xff) return "UTF-16";
  if (bytes.length >= 2 && (b0 === 0) !== (b1 === 0)) return "UTF-16";
  return null;
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

/**
 * The graph checks, on what could be read of the file; the data checks (bindings,
 * their types, run parameters) only on a file that passed the schema (`full`).
 */
const semanticIssues = (
  workflow: WorkflowSkeleton,
  dir: string,
  full: Workflow | null,
): WorkflowIssue[] => {
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
    if (node === null) return;
    if (ids.has(node.id))
      issues.push({ path: `nodes[${i}].id`, message: `duplicate node id ${node.id}` });
    ids.add(node.id);
    if (node.run !== undefined && !scriptExists(resolve(dir, node.run))) {
      issues.push({ path: `nodes[${i}].run`, message: `file not found: ${node.run}` });
    }
    if (node.call !== undefined && moduleFile(node.call, dir) === null) {
      const module = node.call.split(":")[0]!;
      issues.push({
        path: `nodes[${i}].call`,
        message: `module ${module} not found: expected ${module.replaceAll(".", "/")}.py (or a package) in ${dir}`,
      });
    }
    if ((node.call !== undefined || node.uses !== undefined) && node.args.length > 0) {
      issues.push({
        path: `nodes[${i}].args`,
        message:
          "args are a script's arguments; a function or task type gets its values from params",
      });
    }
  });
  const edges: { from: string; to: string; path: string; implied?: true }[] = [];
  const loops: { from: string; to: string; path: string }[] = [];
  workflow.nodes.forEach((node, i) => {
    node?.depends_on.forEach((from, j) => {
      if (from !== null) edges.push({ from, to: node.id, path: `nodes[${i}].depends_on[${j}]` });
    });
  });
  workflow.edges.forEach((edge, i) => {
    if (edge === null) return;
    const { from, to } = edge;
    (edge.loop === true ? loops : edges).push({ from, to, path: `edges[${i}]` });
  });
  // A binding from a named node implies its edge: one edge, however often it is also given.
  // Across a loop edge it implies none: it reads the previous iteration's outputs.
  const crossesLoop = (from: string, to: string) =>
    loops.some((loop) => loop.from === from && loop.to === to);
  full?.nodes.forEach((node, i) => {
    for (const { name, from } of impliedPredecessors(node.inputs)) {
      if (ids.has(from) && !crossesLoop(from, node.id))
        edges.push({ from, to: node.id, path: `nodes[${i}].inputs.${name}.node`, implied: true });
    }
  });
  const graph = new Graph();
  for (const node of workflow.nodes) {
    if (node !== null && !graph.has(node.id)) {
      const run = taskFieldCount(node) === 1 ? taskRefOf(node) : "";
      graph.addNode({ id: node.id, run, args: [], params: {}, createdBy: null });
    }
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
        message: `edge ${edge.from} -> ${edge.to} closes a cycle; ordinary edges form a DAG (an edge back to an ancestor is a loop edge: add "loop": true)`,
      });
    } else {
      graph.addEdge(edge.from, edge.to, null);
    }
  }
  for (const loop of loops) {
    const unknown = [loop.from, loop.to].find((id) => !ids.has(id));
    const problem =
      unknown !== undefined
        ? `names unknown node ${unknown}`
        : loopError(graph, loop.from, loop.to);
    if (problem !== null) issues.push({ path: loop.path, message: problem });
    else graph.addLoop(loop.from, loop.to, 1, null);
  }
  if (full !== null) issues.push(...dataIssues(full.nodes, full.params));
  const nodeExists = (id: string) => ids.has(id);
  const shapes = workflow.shapes;
  for (const [name, set] of Object.entries(shapes)) {
    const path = `shapes.${name}`;
    checkTemplates(
      set.one_of,
      "",
      { path, nodeExists, allowSelf: true, shapes },
      (suffix, message) => issues.push({ path: path + suffix, message }),
    );
  }
  workflow.promises.forEach((promise, i) => {
    if (promise === null) return;
    issues.push(
      ...validatePromise(promise, { path: `promises[${i}]`, nodeExists, allowSelf: false, shapes }),
    );
  });
  workflow.nodes.forEach((node, i) => {
    node?.promises.forEach((promise, j) => {
      if (promise === null) return;
      issues.push(
        ...validatePromise(promise, {
          path: `nodes[${i}].promises[${j}]`,
          nodeExists,
          allowSelf: true,
          shapes,
        }),
      );
    });
  });
  return issues;
};
