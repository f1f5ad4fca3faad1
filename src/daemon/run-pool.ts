import { dirname, join } from "node:path";
import { type EngineOptions, executeRun, type RunOutcome } from "../engine/execute.js";
import { type EngineLimits, limitsOfRun } from "../engine/limits.js";
import type { ProgressListener } from "../engine/progress.js";
import { prepareResume } from "../engine/resume.js";
import type { RotatingLog } from "../log/rotating-log.js";
import type { Store } from "../store/store.js";
import { errorMessage } from "../util/error-message.js";
import type { Limiter } from "./limiter.js";

export interface PoolOptions {
  readonly store: Store;
  /** The database file: task logs live beside it. */
  readonly dbPath: string;
  readonly python: string;
  /** The limits new runs are registered with; a run executes with its own. */
  readonly limits: EngineLimits;
  readonly limiter: Limiter | null;
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

  /**
   * Execute a registered run (owned by this process) until it ends or the
   * daemon stops. It is recorded as the daemon's, so a daemon started again
   * resumes it; a run that ends is forgotten.
   */
  execute(runId: string, parallel: number | null): void {
    const { store, log } = this.options;
    store.daemonRuns.addDaemonRun({ run_id: runId, parallel });
    let stop: (why: string) => void = () => {};
    const interrupted = new Promise<string>((resolve) => {
      stop = resolve;
    });
    let stopping = false;
    const done = (async (): Promise<RunOutcome | null> => {
      const release = await this.options.limiter?.acquire();
      try {
        if (stopping) return null;
        const outcome = await executeRun(this.engineOptions(runId, interrupted));
        if (outcome.status !== "interrupted") store.daemonRuns.removeDaemonRun(runId);
        log.write(`run ${runId} ${outcome.status}${outcome.reason ? `: ${outcome.reason}` : ""}`);
        return outcome;
      } catch (error) {
        log.write(`run ${runId}: the daemon could not execute it: ${errorMessage(error)}`);
        return null;
      } finally {
        release?.();
        this.#executions.delete(runId);
      }
    })();
    this.#executions.set(runId, {
      stop: (why) => {
        stopping = true;
        stop(why);
      },
      done,
    });
  }

  /** Take over an interrupted run (or one left running by a dead process) and execute it. */
  resume(runId: string, parallel: number | null): { ok: true } | { ok: false; reason: string } {
    if (this.isExecuting(runId)) return { ok: true };
    const claim = prepareResume(this.options.store, runId);
    if (!claim.ok)
      return {
        ok: false,
        reason: `run ${runId} is executed by another orch process (pid ${claim.pid})`,
      };
    this.execute(runId, parallel);
    return { ok: true };
  }

  /** Resume the runs this daemon was executing when it stopped. */
  resumeOwnRuns(): void {
    const { store, log } = this.options;
    for (const { run_id, parallel } of store.daemonRuns.listDaemonRuns()) {
      const run = store.runs.getRun(run_id);
      if (run === undefined || (run.status !== "running" && run.status !== "interrupted")) {
        store.daemonRuns.removeDaemonRun(run_id);
        continue;
      }
      const resumed = this.resume(run_id, parallel);
      log.write(
        resumed.ok ? `run ${run_id}: resumed by the daemon` : `run ${run_id}: ${resumed.reason}`,
      );
    }
  }

  /** Interrupt every run (each is left resumable) and wait until all have stopped. */
  async stopAll(why: string): Promise<void> {
    const executions = [...this.#executions.values()];
    for (const execution of executions) execution.stop(why);
    await Promise.all(executions.map((execution) => execution.done));
  }

  private engineOptions(runId: string, interrupted: Promise<string>): EngineOptions {
    const { store, dbPath, python, log } = this.options;
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
      onProgress,
      interrupted,
    };
  }
}
