import { sdkPythonPath } from "../engine/launch.js";
import { warmStarter } from "../engine/spawner.js";
import type { GraphNode } from "../graph/graph.js";
import type { ResolvedPolicy } from "../workflow/policy.js";
import type { Executor } from "./executor.js";
import { LocalExecutor } from "./local.js";

/** The executors of one run: which one runs a node, and their release at the run's end. */
export interface ExecutorSet {
  executorFor(node: GraphNode, policy: ResolvedPolicy): Executor;
  close(): void;
}

/** What a run's warm starter needs: the workflow's folder and the modules to preload. */
export interface WarmContext {
  readonly dir: string;
  readonly preload: readonly string[];
}

/**
 * Every node runs as a local process: started cold by the run's spawner, or, for a
 * `warm` node, forked by the run's warm starter (started on the first warm task).
 */
export const localExecutors = (python: string, warm: WarmContext): ExecutorSet => {
  const cold = new LocalExecutor(python);
  let warmed: LocalExecutor | null = null;
  const warmExecutor = (): LocalExecutor => {
    warmed ??= new LocalExecutor(
      python,
      warmStarter(warm.preload, warm.dir, { ...process.env, PYTHONPATH: sdkPythonPath() }),
    );
    return warmed;
  };
  return {
    executorFor: (_node, policy) => (policy.warm ? warmExecutor() : cold),
    close: () => {
      cold.close();
      warmed?.close();
    },
  };
};
