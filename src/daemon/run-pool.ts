import { dirname, join } from "node:path";
import { type EngineOptions, executeRun, type RunOutcome } from "../engine/execute.js";
import { type EngineLimits, limitsOfRun } from "../engine/limits.js";
import { type Claim, claimRun } from "../engine/ownership.js";
import type { ProgressListener } from "../engine/progress.js";
import { prepareRestart, type RestartClaim } from "../engine/restart.js";
import { prepareResume } from "../engine/resume.js";
import type { TaskLimiter } from "../engine/task-slots.js";
import type { RotatingLog } from "../log/rotating-log.js";
import { Store } from "../store/store.js";
import { errorMessage } from "../util/error-message.js";

export interface PoolOptions {
  /** The daemon's own connection: which runs it executes is recorded there. */
  readonly store: Store;
  /**
   * The database file. Each run executes on a connection of its own, so its
   * writes are fenced by its own claim; task logs live beside the file.
   */
  readonly dbPath: string;
  readonly python: string;
  /** The limits new runs are registered with; a run executes with its own. */
  readonly limits: EngineLimits;
  /** `--max-tasks`: a cap on tasks running at once over all runs. */
  readonly limiter: TaskLimiter | undefined;
  readonly log: RotatingLog;
}

interface Execution {
  readonly stop: (why: string) => void;
  readonly done: Promise<RunOutcome | null>;
}

/** The runs the daemon executes, in its own process, several at once. */
export class RunPool {
  readonly #executions = new Map<string, Execution>();

  constructor(readonly options: PoolOptions) {}

  isExecuting(runId: string): boolean {
    return this.#executions.has(runId);
  }

  /** Once this process no longer executes the run (at once when it does not). */
  async finished(runId: string): Promise<void> {
    await this.#executions.get(runId)?.done;
  }

  /** Claim a registered run that no process executes yet, and execute it. */
  execute(runId: string): void {
    void this.#execute(runId, (store) => claimRun(store, runId)).then((claim) => {
      if (!claim.ok)
        this.options.log.write(`run ${runId}: not executed: orch process ${claim.pid} has it`);
    });
  }

  /** Take over an interrupted run (or one left running by a dead process) and execute it. */
  async resume(runId: string): Promise<Claim> {
    if (this.isExecuting(runId)) return { ok: true };
    return this.#execute(runId, (store) => {
      const run = store.runs.getRun(runId);
      const dir = run === undefined ? process.cwd() : dirname(run.workflow);
      return prepareResume(store, runId, { python: this.options.python, dir }, "the daemon");
    });
  }

  /** Run `node` and what follows it again in a run no process executes, and execute it. */
  restart(runId: string, node: string): Promise<RestartClaim> {
    return this.#execute(runId, (store) => prepareRestart(store, runId, node, "the daemon"));
  }

  /** Resume the runs this daemon was executing when it stopped. */
  async resumeOwnRuns(): Promise<void> {
    const { store, log } = this.options;
    for (const runId of store.daemonRuns.listDaemonRuns()) {
      const run = store.runs.getRun(runId);
      if (run === undefined || (run.status !== "running" && run.status !== "interrupted")) {
        store.daemonRuns.removeDaemonRun(runId);
        continue;
      }
      const resumed = await this.resume(runId);
      log.write(
        resumed.ok
          ? `run ${runId}: resumed by the daemon`
          : `run ${runId}: executed by another orch process (pid ${resumed.pid})`,
      );
    }
  }

  /** Interrupt every run (each is left resumable) and wait until all have stopped. */
  async stopAll(why: string): Promise<void> {
    const executions = [...this.#executions.values()];
    for (const execution of executions) execution.stop(why);
    await Promise.all(executions.map((execution) => execution.done));
  }

  /**
   * Execute a run on a connection of its own, once `claim` has taken it for
   * this process. It is recorded as the daemon's, so a daemon started again
   * resumes it; a run that ends is forgotten. A run this process loses (taken
   * over, or its storage failed) stops; the daemon serves on.
   */
  async #execute<C extends { readonly ok: boolean }>(
    runId: string,
    claim: (store: Store) => C | Promise<C>,
  ): Promise<C> {
    const { dbPath, log } = this.options;
    const store = Store.open(dbPath);
    let claimed: C;
    try {
      claimed = await claim(store);
    } catch (error) {
      store.close();
      throw error;
    }
    if (!claimed.ok) {
      store.close();
      return claimed;
    }
    this.options.store.daemonRuns.addDaemonRun(runId);
    let stop: (why: string) => void = () => {};
    const interrupted = new Promise<string>((resolve) => {
      stop = resolve;
    });
    const onLost = (error: unknown): void => {
      log.write(`run ${runId}: lost: ${errorMessage(error)}`);
      stop("the daemon lost the run");
    };
    // Started on the next turn, once it is recorded: the end of an execution
    // that fails at once must find it there to remove.
    const done = Promise.resolve().then(() => this.#run(store, runId, interrupted, onLost));
    this.#executions.set(runId, { stop, done });
    return claimed;
  }

  async #run(
    store: Store,
    runId: string,
    interrupted: Promise<string>,
    onLost: (error: unknown) => void,
  ): Promise<RunOutcome | null> {
    const { log } = this.options;
    try {
      const outcome = await executeRun(this.#engineOptions(store, runId, interrupted, onLost));
      if (outcome.status !== "interrupted") this.options.store.daemonRuns.removeDaemonRun(runId);
      log.write(`run ${runId} ${outcome.status}${outcome.reason ? `: ${outcome.reason}` : ""}`);
      return outcome;
    } catch (error) {
      log.write(`run ${runId}: the daemon could not execute it: ${errorMessage(error)}`);
      return null;
    } finally {
      store.close();
      this.#executions.delete(runId);
    }
  }

  #engineOptions(
    store: Store,
    runId: string,
    interrupted: Promise<string>,
    onLost: (error: unknown) => void,
  ): EngineOptions {
    const { dbPath, python, log, limiter } = this.options;
    const run = store.runs.getRun(runId);
    if (run === undefined) throw new Error(`no run ${runId}`);
    const onProgress: ProgressListener = (progress) => {
      if (progress.kind === "node" && progress.status !== "running")
        log.write(`run ${runId}: ${progress.node} ${progress.status}`);
    };
    return {
      store,
      runId,
      dir: dirname(run.workflow),
      python,
      logsDir: join(dirname(dbPath), "logs", runId),
      limits: limitsOfRun(run),
      parallel: run.parallel,
      ...(limiter === undefined ? {} : { limiter }),
      onProgress,
      interrupted,
      onLost,
    };
  }
}
