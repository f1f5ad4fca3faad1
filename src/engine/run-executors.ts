import { ContainerExecutor } from "../executors/container.js";
import type { Executor } from "../executors/executor.js";
import { SlurmExecutor } from "../executors/slurm.js";
import type { NodeId } from "../graph/ids.js";
import type { ExecutorSpec } from "../workflow/executor-spec.js";
import type { Spawner } from "./spawner.js";

/**
 * The executors one run's tasks use beyond this machine, one per distinct
 * spec, so what an engine lacks is checked once. `local` is null: the engine
 * runs those tasks through its spawner itself.
 */
export class RunExecutors {
  readonly #bySpec = new Map<string, Executor>();

  constructor(private readonly spawner: Spawner) {}

  forSpec(spec: ExecutorSpec): Executor | null {
    if (spec === "local") return null;
    const key = JSON.stringify(spec);
    let executor = this.#bySpec.get(key);
    if (executor === undefined) {
      executor =
        "container" in spec
          ? new ContainerExecutor(spec.container, this.spawner)
          : new SlurmExecutor(spec.slurm, this.spawner);
      this.#bySpec.set(key, executor);
    }
    return executor;
  }

  /**
   * Remove what an orchestrator that died left of the run's attempts that ran
   * beyond this machine (containers, Slurm jobs), each through its executor.
   */
  async cleanupLeftovers(
    runId: string,
    lost: readonly { readonly node_id: NodeId; readonly attempt: number }[],
    executorOf: (node: NodeId) => ExecutorSpec,
  ): Promise<void> {
    const byExecutor = new Map<Executor, { nodeId: string; attempt: number; handle: null }[]>();
    for (const row of lost) {
      const executor = this.forSpec(executorOf(row.node_id));
      if (executor === null) continue;
      const attempts = byExecutor.get(executor) ?? [];
      attempts.push({ nodeId: row.node_id, attempt: row.attempt, handle: null });
      byExecutor.set(executor, attempts);
    }
    for (const [executor, attempts] of byExecutor) await executor.cleanupLeftovers(runId, attempts);
  }
}
