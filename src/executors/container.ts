import { resolve } from "node:path";
import type { Spawner } from "../engine/spawner.js";
import { SDK_DIR } from "../package-root.js";
import { type ContainerSpec, describeExecutor } from "../workflow/executor-spec.js";
import { attemptName } from "./attempt-name.js";
import { type ClientCommand, once, onPath, runControl, startClient } from "./client-process.js";
import {
  type ContainerEngine,
  containerRemoveArgv,
  containerRunArgv,
  containerTerminateArgv,
} from "./container-command.js";
import type { Executor, ExecutorLaunch, ExecutorTask, LeftoverAttempt } from "./executor.js";

/** How long `terminate` keeps asking for a container that does not exist yet. */
const TERMINATE_TRIES = 40;
const TERMINATE_INTERVAL_MS = 250;

/** podman when it is installed, else docker when that is, else podman (whose absence `missing` reports). */
export const defaultEngine = (has: (command: string) => boolean = onPath): ContainerEngine =>
  has("podman") || !has("docker") ? "podman" : "docker";

/**
 * Runs each attempt as `podman run -i --rm --init` (or docker's): the workflow
 * folder is the container's working directory, the SDK is on its PYTHONPATH, and
 * the client relays the task's stdio. The container is named after the run, node
 * and attempt, so a later orch can remove what a dead one left.
 */
export class ContainerExecutor implements Executor {
  readonly name: string;
  readonly engine: ContainerEngine;

  constructor(
    private readonly spec: ContainerSpec,
    private readonly spawner: Spawner,
    engine: ContainerEngine = spec.engine ?? defaultEngine(),
  ) {
    this.engine = engine;
    this.name = describeExecutor({ container: spec }, engine);
  }

  readonly missing = once(async (): Promise<string | null> => {
    const { engine } = this;
    if (!onPath(engine))
      return engine === "podman"
        ? `podman is not installed: apt-get install podman (or set "engine": "docker" where docker runs); scripts/setup-executors.sh podman sets it up on Debian`
        : `docker is not installed: install Docker Engine (https://docs.docker.com/engine/install/) or use "engine": "podman"`;
    const info = await runControl([engine, "info"]);
    return info.ok
      ? null
      : `${engine} is installed but cannot run containers here (${engine} info: ${firstLine(info.output)})`;
  });

  start(launch: ExecutorLaunch): ExecutorTask {
    const { engine } = this;
    return startClient(this.spawner, launch, () => this.#command(launch), {
      terminate: async (name) => {
        for (let tries = 0; tries < TERMINATE_TRIES; tries += 1) {
          if ((await runControl(containerTerminateArgv(engine, name))).ok) return;
          await new Promise((done) => setTimeout(done, TERMINATE_INTERVAL_MS));
        }
      },
      kill: async (name) => {
        await runControl(containerRemoveArgv(engine, [name]));
      },
      afterStop: async (name) => {
        await runControl(containerRemoveArgv(engine, [name]));
      },
    });
  }

  async cleanupLeftovers(runId: string, attempts: readonly LeftoverAttempt[]): Promise<void> {
    if (attempts.length === 0 || (await this.missing()) !== null) return;
    const names = attempts.map(
      (attempt) => attempt.handle ?? attemptName(runId, attempt.nodeId, attempt.attempt),
    );
    // One at a time: `rm` of several stops at the first name that is already gone on docker.
    for (const name of names) await runControl(containerRemoveArgv(this.engine, [name]));
  }

  async #command(launch: ExecutorLaunch): Promise<ClientCommand> {
    const missing = await this.missing();
    if (missing !== null) return { refused: missing };
    const [, script, ...args] = launch.argv;
    const built = containerRunArgv({
      engine: this.engine,
      spec: this.spec,
      name: attemptName(launch.runId, launch.nodeId, launch.attempt),
      workflowDir: launch.cwd,
      sdkDir: SDK_DIR,
      script: resolve(launch.cwd, script ?? ""),
      args,
      orchEnv: Object.fromEntries(
        Object.entries(launch.env).filter(([key]) => key.startsWith("ORCH_")),
      ),
      user: currentUser(),
    });
    if (!built.ok) return { refused: built.reason };
    return {
      argv: built.argv,
      env: process.env,
      handle: attemptName(launch.runId, launch.nodeId, launch.attempt),
    };
  }
}

const currentUser = () =>
  process.getuid === undefined || process.getgid === undefined
    ? null
    : { uid: process.getuid(), gid: process.getgid() };

export const firstLine = (text: string): string => text.split("\n")[0]?.trim() || "no output";
