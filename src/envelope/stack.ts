import type { Graph, GraphNode } from "../graph/graph.js";
import type { NodeId } from "../graph/ids.js";
import { DEFAULT_TRIGGER } from "../graph/trigger.js";
import type { EnvelopeEdge, EnvelopeNode } from "./model.js";

/**
 * Stacking: siblings of the same shape (same creator, script, state, trigger,
 * predecessors and successors) are drawn as one node with a count. Between
 * two stacks an edge stands for every member to every member, which the
 * same-neighbours rule guarantees.
 */
export interface Stacks {
  /** The stack a node is drawn in: the id of the stack's first member. */
  readonly stackOf: (id: NodeId) => NodeId;
  /** Stack id → members in creation order. */
  readonly members: ReadonlyMap<NodeId, readonly NodeId[]>;
}

export const singletons = (graph: Graph): Stacks => {
  const members = new Map<NodeId, NodeId[]>();
  for (const node of graph.nodes()) members.set(node.id, [node.id]);
  return { stackOf: (id) => id, members };
};

export const stackSiblings = (graph: Graph): Stacks => {
  const byKey = new Map<string, NodeId[]>();
  for (const node of graph.nodes()) {
    const key = shapeKey(graph, node);
    const stack = byKey.get(key);
    if (stack) stack.push(node.id);
    else byKey.set(key, [node.id]);
  }
  const members = new Map<NodeId, NodeId[]>();
  const owner = new Map<NodeId, NodeId>();
  for (const stack of byKey.values()) {
    members.set(stack[0]!, stack);
    for (const id of stack) owner.set(id, stack[0]!);
  }
  return { stackOf: (id) => owner.get(id) ?? id, members };
};

const shapeKey = (graph: Graph, node: GraphNode): string =>
  JSON.stringify([
    node.createdBy,
    node.run,
    node.status,
    node.provisional,
    node.trigger,
    [...graph.predecessors(node.id)].sort(),
    [...graph.successors(node.id)].sort(),
  ]);

export const stackedNodes = (graph: Graph, stacks: Stacks): EnvelopeNode[] => {
  const out: EnvelopeNode[] = [];
  for (const [id, members] of stacks.members) {
    const node = graph.node(id)!;
    out.push({
      id,
      status: node.status,
      provisional: node.provisional,
      script: node.run,
      created_by: node.createdBy,
      count: members.length,
      members: [...members],
      ...(node.trigger === DEFAULT_TRIGGER ? {} : { trigger: node.trigger }),
    });
  }
  return out;
};

export const stackedEdges = (graph: Graph, stacks: Stacks): EnvelopeEdge[] => {
  const byEnds = new Map<string, EnvelopeEdge>();
  for (const edge of graph.edges()) {
    const from = stacks.stackOf(edge.from);
    const to = stacks.stackOf(edge.to);
    const key = `${from}\u0000${to}`;
    const seen = byEnds.get(key);
    if (seen) {
      byEnds.set(key, {
        ...seen,
        count: seen.count + 1,
        provisional: seen.provisional || edge.provisional,
      });
    } else {
      byEnds.set(key, {
        from,
        to,
        provisional: edge.provisional,
        created_by: edge.createdBy,
        count: 1,
      });
    }
  }
  return [...byEnds.values()];
};
