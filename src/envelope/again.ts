import { canStillMutate, type Graph } from "../graph/graph.js";
import type { NodeId } from "../graph/ids.js";
import { restartReach } from "../graph/reach.js";

/**
 * The nodes a loop may yet run again, and those it may take back: for every
 * loop whose source may still run (it has not settled, or another such loop
 * resets it), what restarting the loop's target reaches. A node that has
 * settled may so run again: it may still add, and be added to.
 */
export interface LoopFuture {
  /** Reset by a loop going again: it runs again. */
  readonly again: ReadonlySet<NodeId>;
  /** Taken back by a loop going again: it and what it did may vanish. */
  readonly takenBack: ReadonlySet<NodeId>;
}

export const loopFuture = (graph: Graph): LoopFuture => {
  const again = new Set<NodeId>();
  const takenBack = new Set<NodeId>();
  const done = new Set<string>();
  for (let grew = true; grew; ) {
    grew = false;
    for (const loop of graph.loops()) {
      const key = `${loop.from}\u0000${loop.to}`;
      if (done.has(key)) continue;
      const source = graph.node(loop.from);
      if (!source || !(canStillMutate(source.status) || again.has(loop.from))) continue;
      done.add(key);
      grew = true;
      const reach = restartReach(graph, loop.to);
      for (const id of reach.reset) again.add(id);
      for (const id of reach.removed) takenBack.add(id);
    }
  }
  return { again, takenBack };
};
