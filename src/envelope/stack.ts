import type { Graph, GraphNode, NodeStatus } from "../graph/graph.js";
import type { NodeId } from "../graph/ids.js";
import { DEFAULT_TRIGGER } from "../graph/trigger.js";
import type { LoopFuture } from "./again.js";
import type { EnvelopeEdge, EnvelopeNode, StateCounts } from "./model.js";

/**
 * Stacking: siblings of the same shape (same creator, script, trigger, predecessors
 * and successors; all provisional or none) are drawn as one node with a
 * count, whatever state each member is in: the stack counts its members by
 * state. Between two stacks an edge stands for every member to every member,
 * which the same-neighbours rule guarantees.
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
    node.provisional,
    node.trigger,
    [...graph.predecessors(node.id)].sort(),
    [...graph.successors(node.id)].sort(),
    loopEnds(graph, node.id),
  ]);

/** The loop edges at a node, so that a node with one never stacks with a node without. */
const loopEnds = (graph: Graph, id: NodeId): string[] => {
  const ends: string[] = [];
  for (const loop of graph.loops()) {
    if (loop.from === id)
      ends.push(loop.to === id ? `self ${loop.max}` : `to ${loop.to} ${loop.max}`);
    else if (loop.to === id) ends.push(`from ${loop.from}`);
  }
  return ends.sort();
};

export const stackedNodes = (
  graph: Graph,
  stacks: Stacks,
  future: LoopFuture = { again: new Set(), takenBack: new Set() },
): EnvelopeNode[] => {
  const out: EnvelopeNode[] = [];
  for (const [id, members] of stacks.members) {
    const node = graph.node(id)!;
    const states = countStates(members.map((m) => graph.node(m)!.status));
    out.push({
      id,
      status: leastFinished(states),
      states,
      provisional: node.provisional,
      script: node.run,
      created_by: node.createdBy,
      count: members.length,
      members: [...members],
      ...(node.trigger === DEFAULT_TRIGGER ? {} : { trigger: node.trigger }),
      ...loopReset(members, future),
    });
  }
  return out;
};

const loopReset = (
  members: readonly NodeId[],
  future: LoopFuture,
): Pick<EnvelopeNode, "loop_reset"> => {
  if (members.some((m) => future.takenBack.has(m))) return { loop_reset: "taken_back" };
  if (members.some((m) => future.again.has(m))) return { loop_reset: "again" };
  return {};
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
  for (const loop of graph.loops()) {
    const from = stacks.stackOf(loop.from);
    const to = stacks.stackOf(loop.to);
    const key = `loop\u0000${from}\u0000${to}`;
    const seen = byEnds.get(key);
    byEnds.set(
      key,
      seen
        ? { ...seen, count: seen.count + 1, provisional: seen.provisional || loop.provisional }
        : {
            from,
            to,
            provisional: loop.provisional,
            created_by: loop.createdBy,
            count: 1,
            loop: true,
            max: loop.max,
          },
    );
  }
  return [...byEnds.values()];
};

/**
 * States from the least finished to the most: not started, in flight, then
 * settled. A stack's own status is its least finished member's, so a stack
 * with one pending member still reads as pending (and may still be preceded).
 */
export const STATE_ORDER: readonly NodeStatus[] = [
  "pending",
  "waiting",
  "retrying",
  "running",
  "failed",
  "blocked",
  "cancelled",
  "skipped",
  "succeeded",
];

/** How many of `statuses` are in each state, in `STATE_ORDER`. */
export const countStates = (statuses: readonly NodeStatus[]): StateCounts => {
  const counts = new Map<NodeStatus, number>();
  for (const status of statuses) counts.set(status, (counts.get(status) ?? 0) + 1);
  return Object.fromEntries(
    STATE_ORDER.flatMap((s) => (counts.has(s) ? [[s, counts.get(s)!]] : [])),
  );
};

export const leastFinished = (states: StateCounts): NodeStatus =>
  STATE_ORDER.find((s) => (states[s] ?? 0) > 0) ?? "pending";

/**
 * The ids' common pattern: their longest common prefix and suffix around a
 * `*` (`M-1`, `M-17` → `M-*`), a number at either cut left to the `*`.
 */
export const idPattern = (ids: readonly string[]): string => {
  if (ids.length === 1) return ids[0]!;
  const shortest = Math.min(...ids.map((id) => id.length));
  let prefix = 0;
  while (prefix < shortest && ids.every((id) => id[prefix] === ids[0]![prefix])) prefix++;
  let suffix = 0;
  const at = (id: string, k: number) => id[id.length - 1 - k];
  while (suffix < shortest - prefix && ids.every((id) => at(id, suffix) === at(ids[0]!, suffix)))
    suffix++;
  const first = ids[0]!;
  const head = first.slice(0, prefix).replace(/\d+$/, "");
  const tail = first.slice(first.length - suffix).replace(/^\d+/, "");
  return `${head}*${tail}`;
};
