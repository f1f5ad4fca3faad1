import type { Attrs } from "../data/schema.js";
import type { Graph } from "./graph.js";
import type { NodeId } from "./ids.js";

/** A change to the graph made by a running task (its `source`). */
export type Mutation =
  | {
      readonly kind: "add_node";
      readonly source: NodeId;
      readonly id: NodeId;
      readonly run: string;
      readonly args: readonly string[];
      readonly params: Readonly<Record<string, unknown>>;
      readonly attrs?: Attrs;
    }
  | {
      readonly kind: "add_edge";
      readonly source: NodeId;
      readonly from: NodeId;
      readonly to: NodeId;
      readonly attrs?: Attrs;
      /** Set on a loop edge: how many iterations its body may run in all. */
      readonly loop?: { readonly max: number };
    };

export type AddNodeMutation = Extract<Mutation, { kind: "add_node" }>;
export type AddEdgeMutation = Extract<Mutation, { kind: "add_edge" }>;

export const describeMutation = (m: Mutation): string =>
  m.kind === "add_node"
    ? `${m.source} added node ${m.id} (run ${m.run})`
    : `${m.source} added ${m.loop === undefined ? "edge" : "loop edge"} ${m.from} -> ${m.to}`;

/**
 * Structural checks on a mutation the moment it arrives. Returns what
 * is wrong, or null. These fail the task; promises are checked separately.
 */
export const structuralError = (graph: Graph, m: Mutation): string | null => {
  if (m.kind === "add_node") {
    return graph.has(m.id) ? `node ${m.id} already exists` : null;
  }
  for (const end of [m.from, m.to]) {
    if (!graph.has(end)) return `edge ${m.from} -> ${m.to} names unknown node ${end}`;
  }
  if (m.loop !== undefined) return loopError(graph, m.from, m.to);
  const target = graph.node(m.to)!;
  if (target.status !== "pending") {
    return `edge ${m.from} -> ${m.to} points into ${m.to}, which has already started (${target.status})`;
  }
  if (graph.edge(m.from, m.to)) return `edge ${m.from} -> ${m.to} already exists`;
  if (graph.wouldCycle(m.from, m.to))
    return `edge ${m.from} -> ${m.to} would close a cycle (an edge back to an ancestor is a loop edge: mark it "loop": true)`;
  return null;
};

/**
 * What is wrong with loop edge `from -> to`, or null. Unlike an ordinary edge,
 * it may point into a node that has started: it only matters when `from` ends.
 */
export const loopError = (graph: Graph, from: NodeId, to: NodeId): string | null => {
  if (graph.loop(from, to)) return `loop edge ${from} -> ${to} already exists`;
  const other = graph.loopFrom(from);
  if (other !== undefined)
    return `loop edge ${from} -> ${to}: ${from} already has loop edge ${from} -> ${other.to} (a node closes at most one loop)`;
  if (!graph.reaches(to, from))
    return `loop edge ${from} -> ${to} closes no cycle: ${to} does not reach ${from} through ordinary edges`;
  return null;
};
