import type { Attrs } from "../data/schema.js";
import type { Graph } from "../graph/graph.js";
import type { NodeId } from "../graph/ids.js";
import type { AddEdgeMutation, AddNodeMutation, Mutation } from "../graph/mutations.js";
import { ordinal } from "./describe.js";
import { compileIdGlobs, type IdMatcher, normalizeScript } from "./glob.js";
import type { AttrsRule, EdgePattern, NodesRule } from "./schema.js";
import { ShapeTracker } from "./shape.js";
import type { PromiseProgress, PromiseRecord, RuleName, Violation } from "./types.js";

/** A rule broken by a mutation, before it is tied to its promise. */
interface Breach {
  readonly rule: RuleName;
  readonly clause: string;
  readonly why: string;
}

/** Does an edge endpoint match, given the mutation that adds the edge? */
type EndMatcher = (id: NodeId, m: AddEdgeMutation) => boolean;

interface EdgeMatcher {
  readonly from: EndMatcher;
  readonly to: EndMatcher;
  /** Matches loop edges only (else ordinary edges only). */
  readonly loop: boolean;
  readonly label: string;
}

interface NodesCheck {
  readonly ids: IdMatcher | null;
  readonly idsLabel: string;
  readonly runs: ReadonlySet<string> | null;
  readonly runsLabel: string;
  readonly max: number | null;
}

const listLabel = (items: readonly string[]): string => `[${items.join(", ")}]`;

const compileNodes = (rule: Exclude<NodesRule, false>): NodesCheck => ({
  ids: rule.ids ? compileIdGlobs(rule.ids) : null,
  idsLabel: listLabel(rule.ids ?? []),
  runs: rule.run ? new Set(rule.run.map(normalizeScript)) : null,
  runsLabel: listLabel(rule.run ?? []),
  max: rule.max ?? null,
});

/**
 * All the state one promise keeps: its compiled rules and what its scope has
 * added so far. Checking is pure; `apply` records a mutation the engine accepted.
 */
export class PromiseState {
  readonly record: PromiseRecord;
  /** Unsettled nodes in the scope (kept by the book for node scopes only). */
  open = 0;
  /** A node of the scope failed, was blocked or cancelled. */
  incomplete = false;
  /** False when the promise was broken as it was made. */
  inForce = true;
  /** The final shape check has run. */
  finalChecked = false;
  addedNodes = 0;
  /** Taken back with the attempt that made it: never in force, not listed. */
  withdrawn = false;
  shape: ShapeTracker | null;
  readonly #nodes: NodesCheck | false | null;
  readonly #edges: readonly EdgeMatcher[] | false | null;
  readonly #noFrom: IdMatcher | null;
  readonly #noTo: IdMatcher | null;
  /** Nodes the scope added: kept only when an `edges` pattern uses `$new`. */
  readonly #added: Set<NodeId> | null;

  constructor(record: PromiseRecord) {
    this.record = record;
    const rules = record.rules;
    this.#nodes = rules.nodes ? compileNodes(rules.nodes) : (rules.nodes ?? null);
    const patterns = rules.edges;
    this.#edges = patterns ? patterns.map(this.#edgeMatcher) : (patterns ?? null);
    this.#noFrom = rules.no_edges_from ? compileIdGlobs(rules.no_edges_from) : null;
    this.#noTo = rules.no_edges_to ? compileIdGlobs(rules.no_edges_to) : null;
    const usesNew =
      Array.isArray(patterns) && patterns.some((p) => p.from === "$new" || p.to === "$new");
    this.#added = usesNew ? new Set() : null;
    this.shape = rules.shape ? new ShapeTracker(rules.shape) : null;
  }

  get isGlobal(): boolean {
    return this.record.scope === "*";
  }

  /**
   * What `m`, a mutation from a source in scope, would break; never changes
   * state. Without `shaped`, the source is inside an instance that is a
   * boundary: its additions answer to the instance's own shape, not this one,
   * but the scope still grows, which it may only do while this shape can be
   * completed (no option left needs an edge into a node that has started).
   */
  check(m: Mutation, graph: Graph, live: boolean, shaped = true): Violation | null {
    const attrs = attrsBreach(this.record.rules.attrs, m.attrs, "");
    if (attrs) return this.#violation(attrs, m);
    const breach = m.kind === "add_node" ? this.#nodeBreach(m) : this.#edgeBreach(m);
    if (breach) return this.#violation(breach, m);
    if (!this.shape) return null;
    const why = shaped
      ? this.shape.failure(this.shape.plan(m, graph, live))
      : live
        ? this.shape.blockedEverywhere(graph)
        : null;
    return why === null ? null : this.#violation({ rule: "shape", clause: "shape", why }, m);
  }

  apply(m: Mutation, graph: Graph, live: boolean, shaped = true): void {
    if (m.kind === "add_node") {
      this.addedNodes++;
      this.#added?.add(m.id);
    }
    if (shaped) this.shape?.apply(m, this.shape.plan(m, graph, live));
  }

  /** Forget what the scope added, for the book to replay what is left of it. */
  forgetAdditions(): void {
    this.addedNodes = 0;
    this.#added?.clear();
    if (this.record.rules.shape) this.shape = new ShapeTracker(this.record.rules.shape);
  }

  /** What setting `attrs` (on `target`, in words) later breaks of this promise, or null. */
  attrsViolation(attrs: Attrs, target: string): Violation | null {
    const breach = attrsBreach(this.record.rules.attrs, attrs, target);
    return breach === null ? null : { promise: this.record, ...breach };
  }

  /** A shape violation found without a mutation (at completion, or when made). */
  shapeViolation(why: string): Violation {
    return { promise: this.record, rule: "shape", clause: "shape", why };
  }

  progress(openNodes: number, incomplete: boolean): PromiseProgress {
    return {
      promise: this.record,
      addedNodes: this.addedNodes,
      openNodes,
      alternatives: this.shape?.progress() ?? [],
      inForce: this.inForce,
      incomplete,
    };
  }

  #violation(breach: Breach, mutation: Mutation): Violation {
    return { promise: this.record, mutation, ...breach };
  }

  #nodeBreach(m: AddNodeMutation): Breach | null {
    const rule = this.#nodes;
    if (rule === null) return null;
    if (rule === false) {
      return { rule: "nodes", clause: "nodes", why: "the scope may add no nodes" };
    }
    if (rule.ids && !rule.ids(m.id)) {
      const why = `node ids must match one of ${rule.idsLabel}, ${m.id} does not`;
      return { rule: "nodes", clause: "nodes.ids", why };
    }
    if (rule.runs && !rule.runs.has(normalizeScript(m.run))) {
      const why = `scripts must be one of ${rule.runsLabel}, ${m.run} is not`;
      return { rule: "nodes", clause: "nodes.run", why };
    }
    if (rule.max !== null && this.addedNodes >= rule.max) {
      const why = `at most ${rule.max} node(s), this would be the ${ordinal(this.addedNodes + 1)}`;
      return { rule: "nodes", clause: "nodes.max", why };
    }
    return null;
  }

  #edgeBreach(m: AddEdgeMutation): Breach | null {
    const edges = this.#edges;
    if (edges === false) {
      return { rule: "edges", clause: "edges", why: "the scope may add no edges" };
    }
    const loop = m.loop !== undefined;
    if (
      edges !== null &&
      !edges.some((p) => p.loop === loop && p.from(m.from, m) && p.to(m.to, m))
    ) {
      const allowed = listLabel(edges.map((p) => p.label));
      const what = loop
        ? `loop edge ${m.from} -> ${m.to} matches none (a loop edge matches only a pattern with "loop": true)`
        : `${m.from} -> ${m.to} matches none`;
      const why = `every edge must match one of ${allowed} ($self is ${m.source}), ${what}`;
      return { rule: "edges", clause: "edges", why };
    }
    if (this.#noFrom?.(m.from)) {
      const globs = listLabel(this.record.rules.no_edges_from ?? []);
      const why = `no edge may start at ${globs}, this one starts at ${m.from}`;
      return { rule: "no_edges_from", clause: "no_edges_from", why };
    }
    if (this.#noTo?.(m.to)) {
      const globs = listLabel(this.record.rules.no_edges_to ?? []);
      const why = `no edge may end at ${globs}, this one ends at ${m.to}`;
      return { rule: "no_edges_to", clause: "no_edges_to", why };
    }
    return null;
  }

  readonly #edgeMatcher = (pattern: EdgePattern): EdgeMatcher => ({
    from: this.#endMatcher(pattern.from),
    to: this.#endMatcher(pattern.to),
    loop: pattern.loop === true,
    label: `${pattern.from} -> ${pattern.to}${pattern.loop === true ? " (loop)" : ""}`,
  });

  #endMatcher(end: string): EndMatcher {
    if (end === "$self") return (id, m) => id === m.source;
    if (end === "$new") return (id) => this.#added?.has(id) ?? false;
    const match = compileIdGlobs([end]);
    return (id) => match(id);
  }
}

/** What setting `attrs` breaks of an `attrs` rule: any key under `false`, an unlisted key otherwise. */
const attrsBreach = (
  rule: AttrsRule | undefined,
  attrs: Attrs | undefined,
  target: string,
): Breach | null => {
  if (rule === undefined || attrs === undefined) return null;
  const keys = Object.keys(attrs);
  if (keys.length === 0) return null;
  if (rule === false)
    return {
      rule: "attrs",
      clause: "attrs",
      why: `the scope may set no attrs, this sets ${keys.join(", ")}${target && ` ${target}`}`,
    };
  const unlisted = keys.filter((key) => !(rule.keys as readonly string[]).includes(key));
  if (unlisted.length === 0) return null;
  const allowed = rule.keys.length === 0 ? "none" : rule.keys.join(", ");
  return {
    rule: "attrs",
    clause: "attrs.keys",
    why: `the scope may set only the attrs ${allowed}, this sets ${unlisted.join(", ")}${target && ` ${target}`}`,
  };
};
