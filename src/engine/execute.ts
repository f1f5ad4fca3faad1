import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { NodeId } from "../graph/ids.js";
import { SDK_DIR } from "../package-root.js";
import { describeViolation } from "../promises/describe.js";
import type { Violation } from "../promises/types.js";
import type { RunEvent } from "../state/events.js";
import { RunState } from "../state/run-state.js";
import type { RunStatus } from "../state/run-status.js";
import { now, type Store } from "../store/store.js";
import { errorMessage } from "../util/error-message.js";
import { retryDelay } from "../workflow/policy.js";
import { AttemptSession } from "./attempt.js";
import type { EngineLimits } from "./limits.js";
import type { ProgressListener } from "./progress.js";
import { Scheduler } from "./scheduler.js";
import { Spawner } from "./spawner.js";
import { launchTask, type RunningTask, type TaskExit } from "./task-process.js";

export interface EngineOptions {
  readonly store: Store;
  readonly runId: string;
  /** Directory of the workflow file: tasks run there and `run` paths are relative to it. */
  readonly dir: string;
  readonly python: string;
  readonly logsDir: string;
  readonly limits: EngineLimits;
  readonly onProgress: ProgressListener;
  /** Resolves when the user asks orch to stop (SIGINT/SIGTERM). */
  readonly interrupted: Promise<string>;
  /** Source of randomness for retry jitter, in [0, 1). */
  readonly random?: () => number;
}

export interface RunOutcome {
  readonly status: RunStatus;
  readonly reason: string | null;
}

/** How often a running task's provisional mutations are made visible to readers. */
const STAGE_INTERVAL_MS = 100;
/** How often the owner of a run says it is alive. */
const HEARTBEAT_INTERVAL_MS = 2_000;

/** How one attempt ended. */
type AttemptResult =
  | { readonly kind: "succeeded"; readonly session: AttemptSession; readonly exit: TaskExit }
  | { readonly kind: "failed"; readonly reason: string; readonly exit: TaskExit }
  | {
      readonly kind: "broke-promise";
      readonly violations: readonly Violation[];
      readonly exit: TaskExit;
    }
  | { readonly kind: "interrupted"; readonly exit: TaskExit };

/**
 * Run a registered run to its end, one task at a time. The store's history is
 * the truth: the in-memory state is its fold plus the running task's
 * provisional mutations, and it is rebuilt from the store when those are discarded.
 */
export const executeRun = async (options: EngineOptions): Promise<RunOutcome> => {
  const { store, runId, onProgress, limits } = options;
  const random = options.random ?? Math.random;
  const inherited = inheritedEnv();
  let state = RunState.replay(store.history.read(runId).map((e) => e.event));
  const scheduledFor = store.runs.getRun(runId)?.scheduled_for ?? null;
  let scheduler = new Scheduler(state.graph);
  let stopRequest: string | null = null;
  let runningTask: RunningTask | null = null;
  const stopped = new AbortController();
  void options.interrupted.then((why) => {
    stopRequest = why;
    stopped.abort();
    runningTask?.kill(why, "graceful");
  });

  store.runs.setRunOwner(runId, process.pid, now());
  mkdirSync(options.logsDir, { recursive: true, mode: 0o700 });
  const heartbeat = setInterval(
    () => store.runs.setRunOwner(runId, process.pid, now()),
    HEARTBEAT_INTERVAL_MS,
  );
  heartbeat.unref();

  const record = (events: readonly RunEvent[], also?: () => void): void => {
    store.transaction(() => {
      store.history.append(runId, now(), events);
      also?.();
    });
  };

  const rebuild = (): void => {
    state = RunState.replay(store.history.read(runId).map((e) => e.event));
    scheduler = new Scheduler(state.graph);
  };

  const endRun = (status: RunStatus, reason: string | null): RunOutcome => {
    clearInterval(heartbeat);
    const cancelled: RunEvent[] = [];
    if (status === "terminated") {
      for (const node of state.graph.nodes()) {
        if (node.status === "pending") {
          cancelled.push({
            type: "node_status",
            id: node.id,
            status: "cancelled",
            attempt: node.attempts,
            reason: "the run was terminated",
          });
        }
      }
    }
    record([...cancelled, { type: "run_status", status, reason }], () =>
      store.runs.setRunOwner(runId, null, null),
    );
    for (const event of cancelled) state.apply(event);
    onProgress({ kind: "run", status, reason });
    return { status, reason };
  };

  const terminate = (violations: readonly Violation[]): RunOutcome =>
    endRun("terminated", violations.map(describeViolation).join("\n"));

  /** One attempt of `id`: spawn it, feed its messages through a session, wait for it to end. */
  const runAttempt = async (id: NodeId, attempt: number): Promise<AttemptResult> => {
    const node = state.graph.node(id)!;
    const logPath = join(options.logsDir, `${id}.${attempt}.log`);
    const session = new AttemptSession(state, id, limits);
    const script = resolve(options.dir, node.run);
    const task = existsSync(script)
      ? launchTask(
          spawner,
          {
            python: options.python,
            script,
            args: node.args,
            cwd: options.dir,
            env: taskEnv(inherited, runId, id, attempt),
            start: {
              type: "start",
              run_id: runId,
              node: { id, params: { ...node.params } },
              attempt,
              ...(scheduledFor === null ? {} : { run: { scheduled_for: scheduledFor } }),
            },
            logPath,
            maxLineLength: limits.maxLineLength,
            timeout: state.policy(id).timeout,
            killGrace: limits.killGrace,
          },
          session.onLine,
        )
      : null;
    runningTask = task;
    // Recorded once the process exists, with its pid, in one transaction. Lines
    // it wrote meanwhile have only reached the session, which stages them later.
    const pid = task === null ? null : await task.pid;
    const running: RunEvent = { type: "node_status", id, status: "running", attempt, reason: null };
    record([running], () => store.attempts.startAttempt(runId, id, attempt, now(), logPath, pid));
    state.apply(running);
    onProgress({ kind: "node", node: id, status: "running", attempt, seconds: null, reason: null });
    if (task === null) {
      const exit = { exitCode: null, signal: null, killedBecause: null };
      return {
        kind: "failed",
        reason: `script not found: ${node.run} (relative to ${options.dir})`,
        exit,
      };
    }
    // Mutations reach the store as they arrive, staged above the commit mark.
    let stageError: string | null = null;
    const stage = () => {
      const batch = session.takeUnstaged();
      if (batch.length === 0 || stageError !== null) return;
      try {
        store.transaction(() => store.history.stage(runId, now(), batch));
      } catch (error) {
        stageError = `orch could not record its mutations: ${errorMessage(error)}`;
        task.kill(stageError);
      }
    };
    const stager = setInterval(stage, STAGE_INTERVAL_MS);
    const exit = await task.exit;
    clearInterval(stager);
    runningTask = null;

    if (session.violations.length > 0)
      return { kind: "broke-promise", violations: session.violations, exit };
    if (stopRequest !== null) return { kind: "interrupted", exit };
    const failure = failureReason(exit);
    if (failure !== null) return { kind: "failed", reason: failure, exit };
    stage();
    return stageError === null
      ? { kind: "succeeded", session, exit }
      : { kind: "failed", reason: stageError, exit };
  };

  /**
   * Record the end of an attempt that did not succeed, and discard its mutations.
   * The node is `failed`, or `pending` to run again; the attempt `failed` by
   * itself, or was `lost` because orch stopped.
   */
  const recordUnsuccessful = (
    id: NodeId,
    attempt: number,
    status: "failed" | "pending",
    attemptStatus: "failed" | "lost",
    exit: TaskExit,
    reason: string,
  ) => {
    store.transaction(() => {
      store.history.discardStaged(runId);
      store.history.append(runId, now(), [{ type: "node_status", id, status, attempt, reason }]);
      store.attempts.finishAttempt(runId, id, attempt, now(), {
        status: attemptStatus,
        exitCode: exit.exitCode,
        signal: exit.signal,
        reason,
      });
    });
    // A lost attempt ends the run (it is only lost when orch stops): nothing reads
    // the state again, so skip the rebuild, which costs the whole history.
    if (attemptStatus === "failed") rebuild();
  };

  /**
   * Commit a successful attempt: its outputs and status, in one transaction that
   * moves the run's commit mark over the mutations it staged.
   */
  const commitAttempt = (
    id: NodeId,
    attempt: number,
    session: AttemptSession,
  ): readonly Violation[] => {
    const succeeded: RunEvent = {
      type: "node_status",
      id,
      status: "succeeded",
      attempt,
      reason: null,
    };
    const outputs: RunEvent[] =
      session.outputs === null ? [] : [{ type: "output", id, values: session.outputs }];
    record([...outputs, succeeded], () => {
      store.attempts.finishAttempt(runId, id, attempt, now(), {
        status: "succeeded",
        exitCode: 0,
        signal: null,
        reason: null,
      });
    });
    state.commit(session.addedNodes, session.addedEdges);
    for (const event of outputs) state.apply(event);
    scheduler.committed(session.addedNodes, session.addedEdges);
    const broken = state.apply(succeeded);
    scheduler.succeeded(id);
    return broken;
  };

  const blockDescendants = (id: NodeId): void => {
    const blocked: RunEvent[] = [];
    for (const d of state.graph.descendants(id)) {
      const node = state.graph.node(d)!;
      if (node.status === "pending") {
        blocked.push({
          type: "node_status",
          id: d,
          status: "blocked",
          attempt: node.attempts,
          reason: `upstream ${id} failed`,
        });
      }
    }
    if (blocked.length === 0) return;
    record(blocked);
    for (const event of blocked) {
      state.apply(event);
      if (event.type === "node_status") {
        onProgress({
          kind: "node",
          node: event.id,
          status: "blocked",
          attempt: event.attempt,
          seconds: null,
          reason: event.reason,
        });
      }
    }
  };

  /** Run `id` until it succeeds or has no retries left; a run outcome when the run must end. */
  const runNode = async (id: NodeId): Promise<RunOutcome | null> => {
    for (;;) {
      const attempt = state.graph.node(id)!.attempts + 1;
      const started = Date.now();
      const result = await runAttempt(id, attempt);
      const seconds = (Date.now() - started) / 1000;
      switch (result.kind) {
        case "broke-promise": {
          const reason = `killed: ${result.violations.map(describeViolation).join("; ")}`;
          recordUnsuccessful(id, attempt, "failed", "failed", result.exit, reason);
          onProgress({ kind: "node", node: id, status: "failed", attempt, seconds, reason });
          return terminate(result.violations);
        }
        case "interrupted":
          // The attempt is lost; the node runs again as a new attempt on resume.
          recordUnsuccessful(
            id,
            attempt,
            "pending",
            "lost",
            result.exit,
            `interrupted: ${stopRequest}`,
          );
          return endRun("interrupted", stopRequest);
        case "succeeded": {
          let broken: readonly Violation[];
          try {
            broken = commitAttempt(id, attempt, result.session);
          } catch (error) {
            const reason = `orch could not commit what the task did: ${errorMessage(error)}`;
            recordUnsuccessful(id, attempt, "failed", "failed", result.exit, reason);
            onProgress({ kind: "node", node: id, status: "failed", attempt, seconds, reason });
            blockDescendants(id);
            return null;
          }
          onProgress({
            kind: "node",
            node: id,
            status: "succeeded",
            attempt,
            seconds,
            reason: null,
          });
          return broken.length > 0 ? terminate(broken) : null;
        }
        case "failed": {
          const policy = state.policy(id);
          // Attempts lost to an interrupt or a crash do not count against retries.
          const failures = store.attempts.countFailures(runId, id) + 1;
          if (failures > policy.retries) {
            recordUnsuccessful(id, attempt, "failed", "failed", result.exit, result.reason);
            onProgress({
              kind: "node",
              node: id,
              status: "failed",
              attempt,
              seconds,
              reason: result.reason,
            });
            blockDescendants(id);
            return null;
          }
          const delay = retryDelay(policy, failures, random());
          const reason = `attempt ${attempt} failed (${result.reason}); retry in ${delay.toFixed(1)}s`;
          recordUnsuccessful(id, attempt, "pending", "failed", result.exit, result.reason);
          onProgress({ kind: "node", node: id, status: "pending", attempt, seconds, reason });
          try {
            await sleep(delay * 1000, undefined, { signal: stopped.signal });
          } catch {
            return endRun("interrupted", stopRequest);
          }
        }
      }
    }
  };

  const spawner = new Spawner(options.python);
  try {
    for (;;) {
      if (stopRequest !== null) return endRun("interrupted", stopRequest);
      const next = scheduler.next();
      if (next === undefined) break;
      const outcome = await runNode(next);
      if (outcome) return outcome;
    }
    const failed = [...state.graph.nodes()].some((node) => node.status !== "succeeded");
    return endRun(failed ? "failed" : "succeeded", failed ? "a task failed" : null);
  } finally {
    spawner.close();
  }
};

const failureReason = (exit: TaskExit): string | null => {
  if (exit.killedBecause !== null) return exit.killedBecause;
  if (exit.signal !== null) return `killed by signal ${exit.signal}`;
  if (exit.exitCode !== 0) return `exited with code ${exit.exitCode}`;
  return null;
};

/**
 * The environment every task of this orch process inherits: orch's own, with the
 * SDK first on PYTHONPATH. Copied once: reading `process.env` whole costs ~40 µs,
 * on the path from one task's exit to the next one's spawn.
 */
const inheritedEnv = (): Record<string, string | undefined> => {
  const pythonPath = process.env.PYTHONPATH;
  return { ...process.env, PYTHONPATH: pythonPath ? `${SDK_DIR}:${pythonPath}` : SDK_DIR };
};

const taskEnv = (
  inherited: Record<string, string | undefined>,
  runId: string,
  node: NodeId,
  attempt: number,
): Record<string, string | undefined> => ({
  ...inherited,
  ORCH_RUN_ID: runId,
  ORCH_NODE_ID: node,
  ORCH_ATTEMPT: String(attempt),
});
