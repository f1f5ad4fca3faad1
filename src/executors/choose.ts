import type { GraphNode } from "../graph/graph.js";
import type { Executor } from "./executor.js";
import { LocalExecutor } from "./local.js";

/** The executors of one run: which one runs a node, and their release at the run's end. */
export interface ExecutorSet {
  executorFor(node: GraphNode): Executor;
  close(): void;
}

/** Every node runs as a local process. */
export const localExecutors = (python: string): ExecutorSet => {
  const local = new LocalExecutor(python);
  return { executorFor: () => local, close: () => local.close() };
};
