import { compileIdGlob, globProblem, normalizeScript } from "./glob.js";
import { unknownShape } from "./resolve.js";
import type {
  EdgePattern,
  NodePromiseDef,
  PromiseDef,
  ShapeRule,
  Shapes,
  Template,
  TemplateSlot,
} from "./schema.js";

/** A problem with a promise, at a JSON path such as `promises[1].shape.one_of[0].edges[2].to`. */
export interface PromiseIssue {
  readonly path: string;
  readonly message: string;
}

export interface ValidateContext {
  /** JSON path of the promise, e.g. `promises[0]` or `nodes[2].promises[0]`. */
  readonly path: string;
  readonly nodeExists: (id: string) => boolean;
  /** `$self` may be a scope: in task messages and in a node's own promises. */
  readonly allowSelf: boolean;
  /** The workflow's named shapes, when known: a `ref` must name one. */
  readonly shapes?: Shapes;
}

const PLACEHOLDERS = new Set(["$self", "$new"]);

/**
 * The checks on a promise that zod cannot make: globs that match nothing
 * sensible, scopes and template edges naming no node, duplicate slots, a
 * promise with no rule. Returns every problem found, in document order.
 */
export const validatePromise = (
  def: PromiseDef | NodePromiseDef,
  ctx: ValidateContext,
): PromiseIssue[] => {
  const issues: PromiseIssue[] = [];
  const at = (suffix: string, message: string) => issues.push({ path: ctx.path + suffix, message });
  checkScope(def.scope, ctx, at);
  if (!hasRule(def)) {
    at(
      "",
      "a promise needs at least one rule (nodes, edges, no_edges_from, no_edges_to, shape or attrs); this one constrains nothing",
    );
  }
  const globs: [string, readonly string[] | undefined][] = [
    [".nodes.ids", def.nodes ? def.nodes.ids : undefined],
    [".no_edges_from", def.no_edges_from],
    [".no_edges_to", def.no_edges_to],
  ];
  for (const [suffix, list] of globs) {
    for (const [i, glob] of (list ?? []).entries()) checkGlob(glob, `${suffix}[${i}]`, at);
  }
  for (const [i, pattern] of (def.edges || []).entries()) checkPattern(pattern, `.edges[${i}]`, at);
  if (def.shape) checkShape(def.shape, ".shape", ctx, at);
  return issues;
};

/** A shape: its `ref` names a shape, or its templates are sound. */
const checkShape = (shape: ShapeRule, suffix: string, ctx: ValidateContext, at: At): void => {
  if (shape.ref !== undefined) {
    if (ctx.shapes && !(shape.ref in ctx.shapes)) {
      at(`${suffix}.ref`, unknownShape(shape.ref, ctx.shapes));
    }
    return;
  }
  checkTemplates(shape.one_of ?? [], suffix, ctx, at);
};

/**
 * The templates of a `one_of` (in a promise or the workflow's `shapes`): each
 * sound, slot promises valid, and one instance never facing two sets of
 * promises depending on which alternative it ends up in.
 */
export const checkTemplates = (
  oneOf: readonly Template[],
  suffix: string,
  ctx: ValidateContext,
  at: At,
): void => {
  oneOf.forEach((template, i) => {
    const path = `${suffix}.one_of[${i}]`;
    checkTemplate(template, path, ctx.nodeExists, at);
    for (const [j, slot] of template.nodes.entries()) {
      checkSlotPromises(slot, `${path}.nodes[${j}]`, ctx, at);
    }
  });
  const slots = oneOf.flatMap((t, i) => t.nodes.map((slot, j) => ({ slot, i, j })));
  for (const [n, a] of slots.entries()) {
    for (const b of slots.slice(n + 1)) {
      if (a.i === b.i || !mayShareInstance(a.slot, b.slot)) continue;
      if (JSON.stringify(a.slot.promises ?? []) !== JSON.stringify(b.slot.promises ?? [])) {
        at(
          `${suffix}.one_of[${b.i}].nodes[${b.j}].promises`,
          `slot "${b.slot.id}" may be filled by the same node as one_of[${a.i}].nodes[${a.j}] ("${a.slot.id}"), so both must carry equal promises`,
        );
      }
    }
  }
};

/** Could one added node fill both slots (same script, ids matching both globs)? */
const mayShareInstance = (a: TemplateSlot, b: TemplateSlot): boolean =>
  normalizeScript(a.run) === normalizeScript(b.run) &&
  (a.id === b.id || safeMatch(a.id, b.id) || safeMatch(b.id, a.id));

const safeMatch = (glob: string, id: string): boolean =>
  globProblem(glob) === null && compileIdGlob(glob)(id);

const checkSlotPromises = (
  slot: TemplateSlot,
  path: string,
  ctx: ValidateContext,
  at: At,
): void => {
  (slot.promises ?? []).forEach((promise, k) => {
    const where = `${path}.promises[${k}]`;
    if (promise.scope !== undefined && promise.scope !== "$self") {
      at(
        `${where}.scope`,
        `a slot's promises are for each instance: their scope is "$self" (or left out), not "${promise.scope}"`,
      );
      return;
    }
    for (const issue of validatePromise(promise, { ...ctx, path: where, allowSelf: true })) {
      at(issue.path, issue.message);
    }
  });
};

type At = (suffix: string, message: string) => void;

const hasRule = (def: PromiseDef | NodePromiseDef): boolean =>
  def.nodes !== undefined ||
  def.edges !== undefined ||
  def.no_edges_from !== undefined ||
  def.no_edges_to !== undefined ||
  def.shape !== undefined ||
  def.attrs !== undefined;

const checkScope = (scope: string | undefined, ctx: ValidateContext, at: At): void => {
  if (scope === undefined || scope === "*") return;
  if (scope === "$self") {
    if (!ctx.allowSelf) {
      at(
        ".scope",
        "scope \"$self\" is only meaningful in a task's message or a node's own promises: name the node",
      );
    }
    return;
  }
  if (!ctx.nodeExists(scope)) {
    const options = ctx.allowSelf ? 'a node id, "*" or "$self"' : 'a node id or "*"';
    at(".scope", `scope "${scope}" names no node (a scope is ${options})`);
  }
};

const checkGlob = (glob: string, suffix: string, at: At): void => {
  const problem = globProblem(glob);
  if (problem) at(suffix, `bad id glob "${glob}": ${problem}`);
};

const checkPattern = (pattern: EdgePattern, suffix: string, at: At): void => {
  for (const end of ["from", "to"] as const) {
    const value = pattern[end];
    if (PLACEHOLDERS.has(value)) continue;
    if (value.startsWith("$")) {
      at(
        `${suffix}.${end}`,
        `unknown placeholder "${value}": an endpoint is an id glob, "$self" or "$new"`,
      );
    } else {
      checkGlob(value, `${suffix}.${end}`, at);
    }
  }
};

const checkTemplate = (
  template: Template,
  suffix: string,
  nodeExists: (id: string) => boolean,
  at: At,
): void => {
  const firstSlot = new Map<string, number>();
  template.nodes.forEach((slot, i) => {
    checkGlob(slot.id, `${suffix}.nodes[${i}].id`, at);
    const earlier = firstSlot.get(slot.id);
    if (earlier === undefined) firstSlot.set(slot.id, i);
    else {
      at(
        `${suffix}.nodes[${i}].id`,
        `slot "${slot.id}" is already nodes[${earlier}] of this template; template edges name slots by id, so slot ids must differ`,
      );
    }
  });
  const slots = [...firstSlot.keys()];
  template.edges.forEach((edge, i) => {
    for (const end of ["from", "to"] as const) {
      const name = edge[end];
      if (firstSlot.has(name) || name === "$self" || nodeExists(name)) continue;
      const offered = slots.length > 0 ? `slots: ${slots.join(", ")}` : "it has no slots";
      at(
        `${suffix}.edges[${i}].${end}`,
        `"${name}" is neither a slot of this template (${offered}), "$self" nor an existing node`,
      );
    }
    if (edge.from === edge.to) {
      at(`${suffix}.edges[${i}]`, `a template edge from "${edge.from}" to itself would be a cycle`);
    }
  });
};
