import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { PassThrough } from "node:stream";
import { execa } from "execa";
import type { Spawner } from "../engine/spawner.js";
import type { ExecutorEnd, ExecutorLaunch, ExecutorTask } from "./executor.js";

/** What a remote executor runs on this machine for one attempt: its client (`podman run`, `srun`). */
export type ClientCommand =
  | {
      readonly argv: readonly [string, ...string[]];
      /** The client's whole environment. */
      readonly env: Readonly<Record<string, string | undefined>>;
      /** Its name for the attempt's container or job: the handle recorded with the attempt. */
      readonly handle: string;
    }
  | { readonly refused: string };

/** How the executor stops the task its client relays, by the handle. */
export interface ClientControls {
  /** Ask the task to stop (its handlers run). */
  terminate(handle: string): Promise<void>;
  /** Stop it at once; the client's own process group is killed beside it. */
  kill(handle: string): Promise<void>;
  /** Called once the client has ended after a stop or a loss: remove what may remain. */
  afterStop(handle: string): Promise<void>;
}

/**
 * Start a client process through orch's spawner and present it as an executor's
 * task. `prepare` says first what is missing on this machine (the attempt then
 * does not start, with that reason) and builds the command.
 */
export const startClient = (
  spawner: Spawner,
  launch: ExecutorLaunch,
  prepare: () => Promise<ClientCommand>,
  controls: ClientControls,
): ExecutorTask => {
  const stdout = new PassThrough();
  let stopped = false;
  let handleReady: (handle: string | null) => void = () => {};
  const handle = new Promise<string | null>((resolve) => {
    handleReady = resolve;
  });
  let lateOutputSeen: () => void = () => {};
  const lateOutput = new Promise<void>((resolve) => {
    lateOutputSeen = resolve;
  });
  let pid: Promise<number | null> = Promise.resolve(null);

  const end = (async (): Promise<ExecutorEnd> => {
    const command = await prepare().catch(
      (error: unknown): ClientCommand => ({ refused: String(error) }),
    );
    if ("refused" in command) {
      handleReady(null);
      stdout.end();
      return { kind: "not-started", reason: command.refused };
    }
    const child = spawner.spawn({
      argv: command.argv,
      cwd: launch.cwd,
      env: command.env,
      stdin: launch.stdin,
      stderrPath: launch.logPath,
    });
    pid = child.pid;
    void child.lateOutput.then(lateOutputSeen);
    child.stdout.pipe(stdout);
    handleReady((await child.pid) === null ? null : command.handle);
    const ended = await child.end;
    if (stopped || ended.kind === "lost") await controls.afterStop(command.handle);
    return ended;
  })();

  const withHandle = (act: (name: string) => Promise<void>) => {
    stopped = true;
    void handle.then((name) => (name === null ? undefined : act(name)));
  };
  return {
    handle,
    stdout,
    end,
    terminate: () => withHandle(controls.terminate),
    kill: () => {
      withHandle(controls.kill);
      void pid.then((known) => {
        if (known !== null) killGroup(known);
      });
    },
    lateOutput,
  };
};

const killGroup = (pid: number): void => {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
};

/** Run a short control command (`podman kill`, `scancel`); whether it succeeded, and what it said. */
export const runControl = async (
  argv: readonly [string, ...string[]],
): Promise<{ readonly ok: boolean; readonly output: string }> => {
  const [program, ...args] = argv;
  const result = await execa(program, args, { reject: false, all: true, stdin: "ignore" });
  return { ok: result.exitCode === 0, output: String(result.all ?? "").trim() };
};

/** Whether `command` is an executable file in one of PATH's folders. */
export const onPath = (command: string, path = process.env.PATH ?? ""): boolean =>
  path
    .split(delimiter)
    .filter((dir) => dir !== "")
    .some((dir) => {
      try {
        accessSync(join(dir, command), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });

/** Remember a promise-returning check's first answer. */
export const once = <T>(compute: () => Promise<T>): (() => Promise<T>) => {
  let memo: Promise<T> | null = null;
  return () => {
    memo ??= compute();
    return memo;
  };
};
