import { sdkPythonPath } from "../engine/launch.js";
import { Spawner, warmStarter } from "../engine/spawner.js";
import type { GraphNode } from "../graph/graph.js";
import type { ContainerSpec, SlurmSpec } from "../workflow/executor-spec.js";
import type { ResolvedPolicy } from "../workflow/policy.js";
import { ContainerExecutor } from "./container.js";
import type { Executor } from "./executor.js";
import { LocalExecutor } from "./local.js";
import { SlurmExecutor } from "./slurm.js";

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
 * The executors a run drives from this machine. A node whose policy names a
 * container or Slurm runs there, through a client process (`podman run`, `srun`)
 * started by a spawner of their own, one executor per distinct spec so that what
 * an engine lacks is checked once; such a node never runs warm. Every other node
 * is a local process: started cold by the run's spawner, or, for a `warm` node,
 * forked by the run's warm starter (started on the first warm task).
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
  let clients: Spawner | null = null;
  const remote = new Map<string, Executor>();
  const remoteExecutor = (
    spec: { readonly container: ContainerSpec } | { readonly slurm: SlurmSpec },
  ): Executor => {
    const key = JSON.stringify(spec);
    let executor = remote.get(key);
    if (executor === undefined) {
      clients ??= new Spawner(python);
      executor =
        "container" in spec
          ? new ContainerExecutor(spec.container, clients)
          : new SlurmExecutor(spec.slurm, clients);
      remote.set(key, executor);
    }
    return executor;
  };
  return {
    executorFor: (_node, policy) => {
      if (policy.executor !== "local") return remoteExecutor(policy.executor);
      return policy.warm ? warmExecutor() : cold;
    },
    close: () => {
      cold.close();
      warmed?.close();
      clients?.close();
    },
  };
};
