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
    };

export type AddNodeMutation = Extract<Mutation, { kind: "add_node" }>;
export type AddEdgeMutation = Extract<Mutation, { kind: "add_edge" }>;

export const describeMutation = (m: Mutation): string =>
  m.kind === "add_node"
    ? `${m.source} added node ${m.id} (run ${m.run})`
    : `${m.source} added edge ${m.from} -> ${m.to}`;

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
  const target = graph.node(m.to)!;
  if (target.status !== "pending") {
    return `edge ${m.from} -> ${m.to} points into ${m.to}, which has already started (${target.status})`;
  }
  if (graph.edge(m.from, m.to)) return `edge ${m.from} -> ${m.to} already exists`;
  if (graph.wouldCycle(m.from, m.to)) return `edge ${m.from} -> ${m.to} would close a cycle`;
  return null;
};
