import { canStillMutate, type Graph } from "../graph/graph.js";
import type { NodeId } from "../graph/ids.js";

/**
 * Which wildcard stands for which nodes' future additions. A node that can
 * still mutate is in the scope of every promise root on its creator chain;
 * the outermost root's promises bind all of that scope at once (one budget,
 * one shape), so the whole scope shares one wildcard hung from that root.
 * A node in no promise's scope gets one of its own (one per stack when
 * stacking, for the members bound by the same promises). A node a loop may
 * run again (`runsAgain`) can still mutate, whatever its status now.
 */
export interface SourceGroup {
  readonly key: string;
  /** The node the wildcard hangs from. */
  readonly from: NodeId;
  /** The outermost scope root of the sources, or null if they are in no node's scope. */
  readonly anchor: NodeId | null;
  /** Nodes that can still mutate, in creation order. */
  readonly sources: NodeId[];
}

/**
 * Each node's outermost scope root, or null; creators come before what they
 * create. A boundary (an instance its slot gave a shape) is a root of its own:
 * what grows inside it answers to its shape, not to the outer one.
 */
export const outermostRoots = (
  graph: Graph,
  roots: ReadonlySet<NodeId>,
  boundaries: ReadonlySet<NodeId>,
): Map<NodeId, NodeId | null> => {
  const top = new Map<NodeId, NodeId | null>();
  for (const node of graph.nodes()) {
    const above = node.createdBy === null ? null : (top.get(node.createdBy) ?? null);
    const own = roots.has(node.id) ? node.id : null;
    top.set(node.id, boundaries.has(node.id) ? node.id : (above ?? own));
  }
  return top;
};

export const groupSources = (
  graph: Graph,
  roots: ReadonlySet<NodeId>,
  boundaries: ReadonlySet<NodeId>,
  ownerOf: (id: NodeId) => NodeId,
  promisesOf: (id: NodeId) => string,
  runsAgain: ReadonlySet<NodeId>,
): SourceGroup[] => {
  const top = outermostRoots(graph, roots, boundaries);
  const groups = new Map<string, SourceGroup>();
  for (const node of graph.nodes()) {
    if (!canStillMutate(node.status) && !runsAgain.has(node.id)) continue;
    const anchor = top.get(node.id) ?? null;
    const from = anchor ?? ownerOf(node.id);
    // Members of one stack may be at different points (one made a promise of its own).
    const key = anchor === null ? `node:${from}:${promisesOf(node.id)}` : `scope:${anchor}`;
    const group = groups.get(key);
    if (group) group.sources.push(node.id);
    else groups.set(key, { key, from, anchor, sources: [node.id] });
  }
  return [...groups.values()];
};
