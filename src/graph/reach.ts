import type { Graph } from "./graph.js";
import type { NodeId } from "./ids.js";

/** What a restart resets (runs again) and what it takes back (removes). */
export interface Reach {
  readonly reset: NodeId[];
  readonly removed: NodeId[];
}

/**
 * What restarting `node` resets: it, every node downstream of it, and every
 * node downstream of a node taken back; taken back: every node an attempt of
 * a reset node added, transitively. Computed on the graph before anything goes.
 * A loop going again restarts its target so.
 */
export const restartReach = (graph: Graph, node: NodeId): Reach => {
  const reset = new Set<NodeId>();
  const removed = new Set<NodeId>();
  const pending: NodeId[] = [node];
  const resetWithDownstream = (id: NodeId): void => {
    if (removed.has(id) || reset.has(id)) return;
    reset.add(id);
    pending.push(...graph.descendants(id));
  };
  while (pending.length > 0) {
    const id = pending.pop()!;
    if (removed.has(id)) continue;
    resetWithDownstream(id);
    for (const child of graph.createdBy(id)) takeBack(child);
  }
  function takeBack(id: NodeId): void {
    if (removed.has(id)) return;
    reset.delete(id);
    removed.add(id);
    for (const after of graph.descendants(id)) if (!removed.has(after)) pending.push(after);
    for (const child of graph.createdBy(id)) takeBack(child);
  }
  return { reset: [...reset], removed: [...removed] };
};
