import { killLeftoverTask } from "../engine/ownership.js";
import { COLD_SPAWNER, Spawner, type SpawnerProgram } from "../engine/spawner.js";
import type {
  Executor,
  ExecutorEnd,
  ExecutorLaunch,
  ExecutorTask,
  LeftoverAttempt,
} from "./executor.js";

/**
 * Tasks as processes on this machine, started through one spawner per run
 * (see `Spawner`). Each task leads its own process group, so a signal reaches
 * everything it started. The task's environment is orch's own plus what the
 * launch adds, copied once: reading `process.env` whole costs ~40 µs, on the
 * path from one task's exit to the next one's spawn.
 */
export class LocalExecutor implements Executor {
  readonly name: string;
  readonly #spawner: Spawner;
  readonly #inherited: Readonly<Record<string, string | undefined>> = { ...process.env };

  /** `program`: what starts the tasks, the cold spawner or a warm starter. */
  constructor(python: string, program: SpawnerProgram = COLD_SPAWNER) {
    this.#spawner = new Spawner(python, program);
    this.name = program === COLD_SPAWNER ? "local" : "local (warm)";
  }

  missing(): Promise<string | null> {
    return Promise.resolve(null);
  }

  start(launch: ExecutorLaunch): ExecutorTask {
    const child = this.#spawner.spawn({
      argv: launch.argv,
      cwd: launch.cwd,
      env: { ...this.#inherited, ...launch.env },
      stdin: launch.stdin,
      stderrPath: launch.logPath,
    });
    void child.pid.then((pid) => {
      if (pid !== null) LIVE_GROUPS.add(pid);
    });
    // A spawner that does not report the end of a task it was told to kill (a task
    // stopped it with SIGSTOP, say) is replaced: the task is then reported lost.
    let unanswered: NodeJS.Timeout | undefined;
    const end = child.end.then(async (ended): Promise<ExecutorEnd> => {
      clearTimeout(unanswered);
      const pid = await child.pid;
      if (pid !== null) {
        LIVE_GROUPS.delete(pid);
        // The spawner kills what is left of an exited task's group; if it died, orch does.
        if (ended.kind === "lost") killGroup(pid, "SIGKILL");
      }
      return ended;
    });
    const signal = (name: NodeJS.Signals) => {
      void child.pid.then((pid) => {
        if (pid !== null) killGroup(pid, name);
      });
    };
    return {
      handle: child.pid.then((pid) => (pid === null ? null : String(pid))),
      stdout: child.stdout,
      end,
      terminate: () => signal("SIGTERM"),
      kill: () => {
        signal("SIGKILL");
        unanswered ??= setTimeout(() => this.#spawner.replace(), SPAWNER_ANSWER_MS);
      },
      lateOutput: child.lateOutput,
    };
  }

  cleanupLeftovers(runId: string, attempts: readonly LeftoverAttempt[]): Promise<void> {
    for (const attempt of attempts) {
      if (attempt.handle !== null && /^\d+$/.test(attempt.handle))
        killLeftoverTask(runId, attempt.nodeId, Number(attempt.handle));
    }
    return Promise.resolve();
  }

  /** Stop the spawner once no task is left. */
  close(): void {
    this.#spawner.close();
  }
}

/** How long the spawner has to report that a task it was told to kill has ended. */
const SPAWNER_ANSWER_MS = 3_000;

/**
 * Tasks still running: if orch exits without stopping them (an internal error),
 * their process groups are killed on the way out rather than left behind.
 */
const LIVE_GROUPS = new Set<number>();
process.on("exit", () => {
  for (const pid of LIVE_GROUPS) killGroup(pid, "SIGKILL");
});

const killGroup = (pid: number, signal: NodeJS.Signals): void => {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
};
