import { posix } from "node:path";
import picomatch from "picomatch";
import type { Graph, GraphEdge, GraphNode } from "../../src/graph/graph.js";
import type { PromiseRecord, RuleName } from "../../src/promises/types.js";

/**
 * A brute-force reading of the promise language, independent of the book: it recomputes a
 * scope's additions from the graph (creator chains, not the book's sets) and
 * checks each rule directly; for `shape` it searches every assignment of the
 * added nodes to slots instead of assigning greedily.
 */

const GLOB = { dot: true, posix: true };
const matches = (id: string, glob: string): boolean =>
  id === glob || picomatch.isMatch(id, glob, GLOB);
const script = (path: string): string => posix.normalize(path);

export const inScope = (graph: Graph, scope: string, id: string | null): boolean => {
  if (id === null) return false;
  if (scope === "*") return true;
  let current: string | null = id;
  while (current !== null) {
    if (current === scope) return true;
    current = graph.node(current)?.createdBy ?? null;
  }
  return false;
};

export interface Additions {
  readonly nodes: GraphNode[];
  readonly edges: GraphEdge[];
}

export const additions = (graph: Graph, scope: string): Additions => ({
  nodes: [...graph.nodes()].filter((n) => inScope(graph, scope, n.createdBy)),
  edges: [...graph.edges()].filter((e) => inScope(graph, scope, e.createdBy)),
});

/** The scope's nodes: the root and everything it created, or every node for `*`. */
const members = (graph: Graph, scope: string): GraphNode[] =>
  [...graph.nodes()].filter((n) => inScope(graph, scope, n.id));

export const scopeComplete = (graph: Graph, scope: string): boolean =>
  members(graph, scope).every((n) => n.status !== "pending" && n.status !== "running");

export const scopeFailed = (graph: Graph, scope: string): boolean =>
  members(graph, scope).some((n) => ["failed", "blocked", "cancelled"].includes(n.status));

/** The non-shape rules of `p` that the scope's additions break. */
export const brokenRules = (graph: Graph, p: PromiseRecord): RuleName[] => {
  const { nodes, edges } = additions(graph, p.scope);
  const r = p.rules;
  const out: RuleName[] = [];
  if (r.nodes === false && nodes.length > 0) out.push("nodes");
  if (r.nodes) {
    const rule = r.nodes;
    const bad = nodes.some(
      (n) =>
        (rule.ids && !rule.ids.some((g) => matches(n.id, g))) ||
        (rule.run && !rule.run.map(script).includes(script(n.run))),
    );
    if (bad || (rule.max !== undefined && nodes.length > rule.max)) out.push("nodes");
  }
  if (r.edges === false && edges.length > 0) out.push("edges");
  if (r.edges) {
    const patterns = r.edges;
    const end = (id: string, pattern: string, e: GraphEdge): boolean =>
      pattern === "$self"
        ? id === e.createdBy
        : pattern === "$new"
          ? inScope(graph, p.scope, graph.node(id)!.createdBy)
          : matches(id, pattern);
    const ok = (e: GraphEdge) => patterns.some((q) => end(e.from, q.from, e) && end(e.to, q.to, e));
    if (!edges.every(ok)) out.push("edges");
  }
  if (r.no_edges_from && edges.some((e) => r.no_edges_from!.some((g) => matches(e.from, g)))) {
    out.push("no_edges_from");
  }
  if (r.no_edges_to && edges.some((e) => r.no_edges_to!.some((g) => matches(e.to, g)))) {
    out.push("no_edges_to");
  }
  return out;
};

export type ShapeMode =
  /** Some template can still be reached by adding more (ignoring node states). */
  | "weak"
  /** As weak, and no edge a template still needs leads into a node that has started. */
  | "strong"
  /** What was added is exactly one template. */
  | "exact";

/** Does the scope's shape rule hold in `mode`? True for a promise without `shape`. */
export const shapeHolds = (graph: Graph, p: PromiseRecord, mode: ShapeMode): boolean => {
  const shape = p.rules.shape;
  if (!shape) return true;
  const { nodes, edges } = additions(graph, p.scope);
  return shape.one_of.some((template) => templateHolds(graph, template, nodes, edges, mode));
};

type Template = NonNullable<PromiseRecord["rules"]["shape"]>["one_of"][number];

const templateHolds = (
  graph: Graph,
  template: Template,
  nodes: readonly GraphNode[],
  edges: readonly GraphEdge[],
  mode: ShapeMode,
): boolean => {
  const slots = template.nodes;
  const candidates = nodes.map((n) =>
    slots.flatMap((s, i) => (matches(n.id, s.id) && script(s.run) === script(n.run) ? [i] : [])),
  );
  const slotOfName = (name: string): number => slots.findIndex((s) => s.id === name);
  const assignment: number[] = [];
  const search = (k: number): boolean => {
    if (k === nodes.length) return assignmentHolds(assignment);
    for (const slot of candidates[k]!) {
      assignment[k] = slot;
      if (search(k + 1)) return true;
    }
    return false;
  };
  const assignmentHolds = (assigned: readonly number[]): boolean => {
    const instances = slots.map((_, i) =>
      nodes.filter((_, k) => assigned[k] === i).map((n) => n.id),
    );
    const upper = slots.every((s, i) =>
      s.count === "1" || s.count === "?" ? instances[i]!.length <= 1 : true,
    );
    if (!upper) return false;
    const slotOfNode = new Map(nodes.map((n, k) => [n.id, assigned[k]!]));
    const sameEnd = (id: string, name: string): boolean => {
      const slot = slotOfName(name);
      return slot >= 0 ? slotOfNode.get(id) === slot : !slotOfNode.has(id) && id === name;
    };
    const implied = (e: GraphEdge, t: { from: string; to: string }) =>
      sameEnd(e.from, t.from) && sameEnd(e.to, t.to);
    if (!edges.every((e) => template.edges.some((t) => implied(e, t)))) return false;
    const ends = (name: string): string[] => {
      const slot = slotOfName(name);
      return slot >= 0 ? instances[slot]! : [name];
    };
    const missing = (t: { from: string; to: string }) =>
      ends(t.from).some((u) =>
        ends(t.to).some((v) => !edges.some((e) => e.from === u && e.to === v)),
      );
    if (mode === "strong") {
      return template.edges.every((t) => {
        if (slotOfName(t.to) >= 0) return true;
        const status = graph.node(t.to)?.status;
        return status === undefined || status === "pending" || !missing(t);
      });
    }
    if (mode === "exact") {
      const counts = slots.every((s, i) => {
        const n = instances[i]!.length;
        return s.count === "1" ? n === 1 : s.count === "+" ? n >= 1 : true;
      });
      return counts && !template.edges.some(missing);
    }
    return true;
  };
  return search(0);
};
