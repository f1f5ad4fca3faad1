import { resolve } from "node:path";
import type { Spawner } from "../engine/spawner.js";
import type { SlurmSpec } from "../workflow/executor-spec.js";
import { attemptName } from "./attempt-name.js";
import { type ClientCommand, once, onPath, runControl, startClient } from "./client-process.js";
import type { Executor, ExecutorLaunch, ExecutorTask, LeftoverAttempt } from "./executor.js";
import { scancelArgv, srunArgv } from "./slurm-command.js";

/**
 * Runs each attempt as a Slurm job through `srun`, which relays the task's stdio,
 * so only the workflow folder must be on a filesystem the cluster's nodes share.
 * Every stop goes through `scancel` by the job's name: a signal to `srun` would
 * kill the task without running its handlers.
 */
export class SlurmExecutor implements Executor {
  readonly name = "slurm";

  constructor(
    private readonly spec: SlurmSpec,
    private readonly spawner: Spawner,
  ) {}

  readonly missing = once(async (): Promise<string | null> => {
    const absent = ["srun", "scancel"].filter((command) => !onPath(command));
    return absent.length === 0
      ? null
      : `${absent.join(" and ")} not found on PATH: install Slurm's client (apt-get install slurm-client) configured for your cluster, or run scripts/setup-executors.sh slurm for a single-node cluster`;
  });

  start(launch: ExecutorLaunch): ExecutorTask {
    return startClient(this.spawner, launch, () => this.#command(launch), {
      terminate: async (jobName) => {
        await runControl(scancelArgv(jobName, { signal: "TERM" }));
        // A job still waiting for a node has no process to signal: cancel it.
        await runControl(scancelArgv(jobName, { pendingOnly: true }));
      },
      kill: async (jobName) => {
        await runControl(scancelArgv(jobName, { signal: "KILL" }));
        await runControl(scancelArgv(jobName));
      },
      afterStop: async (jobName) => {
        await runControl(scancelArgv(jobName));
      },
    });
  }

  async cleanupLeftovers(runId: string, attempts: readonly LeftoverAttempt[]): Promise<void> {
    if (attempts.length === 0 || (await this.missing()) !== null) return;
    for (const attempt of attempts) {
      const jobName = attempt.handle ?? attemptName(runId, attempt.nodeId, attempt.attempt);
      await runControl(scancelArgv(jobName));
    }
  }

  async #command(launch: ExecutorLaunch): Promise<ClientCommand> {
    const missing = await this.missing();
    if (missing !== null) return { refused: missing };
    const [, script, ...args] = launch.argv;
    const jobName = attemptName(launch.runId, launch.nodeId, launch.attempt);
    return {
      argv: srunArgv({
        spec: this.spec,
        jobName,
        workflowDir: launch.cwd,
        script: resolve(launch.cwd, script ?? ""),
        args,
      }),
      env: { ...process.env, ...launch.env, PYTHONUNBUFFERED: "1" },
      handle: jobName,
    };
  }
}
