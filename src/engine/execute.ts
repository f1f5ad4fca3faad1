import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isSettled } from "../graph/graph.js";
import type { NodeId } from "../graph/ids.js";
import type { DecodedLine } from "../protocol/decode.js";
import type { TaskMessage } from "../protocol/messages.js";
import { describeViolation } from "../promises/describe.js";
import type { Violation } from "../promises/types.js";
import { validatePromise } from "../promises/validate.js";
import type { MutationEvent, RunEvent, RunStatus } from "../state/events.js";
import { RunState } from "../state/run-state.js";
import { now, type Store } from "../store/store.js";
import type { ProgressListener } from "./progress.js";
import { Scheduler } from "./scheduler.js";
import { CONTINUE, type LineVerdict, launchTask, type RunningTask, type TaskExit } from "./task-process.js";

export interface EngineOptions {
  readonly store: Store;
  readonly runId: string;
  /** Directory of the workflow file: tasks run there and `run` paths are relative to it. */
  readonly dir: string;
  readonly python: string;
  readonly logsDir: string;
  readonly maxLineLength: number;
  readonly onProgress: ProgressListener;
  /** Resolves when the user asks orch to stop (SIGINT/SIGTERM). */
  readonly interrupted: Promise<string>;
}

export interface RunOutcome {
  readonly status: RunStatus;
  readonly reason: string | null;
}

/** The Python SDK, put on every task's PYTHONPATH. */
const SDK_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../../tasks-py");

/** How often a running task's provisional mutations are made visible to readers. */
const STAGE_INTERVAL_MS = 200;

/**
 * Run a registered run to its end, one task at a time. The store's history is
 * the truth: the in-memory state is its fold plus the running task's
 * provisional mutations, and it is rebuilt from the store when those are discarded.
 */
export const executeRun = async (options: EngineOptions): Promise<RunOutcome> => {
  const { store, runId, onProgress } = options;
  let state = RunState.replay(store.history.read(runId).map((e) => e.event));
  let scheduler = new Scheduler(state.graph);
  let stopRequest: string | null = null;
  let runningTask: RunningTask | null = null;
  void options.interrupted.then((why) => {
    stopRequest = why;
    runningTask?.kill(why);
  });
  store.runs.setRunOwner(runId, process.pid, now());

  const record = (events: readonly RunEvent[], also?: () => void): void => {
    const at = now();
    store.transaction(() => {
      store.history.append(runId, at, events);
      also?.();
    });
  };

  const endRun = (status: RunStatus, reason: string | null): RunOutcome => {
    const cancelled: RunEvent[] = [];
    if (status === "terminated") {
      for (const node of state.graph.nodes()) {
        if (node.status === "pending") {
          cancelled.push({ type: "node_status", id: node.id, status: "cancelled", attempt: node.attempts, reason: "the run was terminated" });
        }
      }
    }
    record([...cancelled, { type: "run_status", status, reason }], () => store.runs.setRunOwner(runId, null, null));
    for (const event of cancelled) state.apply(event);
    onProgress({ kind: "run", status, reason });
    return { status, reason };
  };

  const terminate = (violations: readonly Violation[]): RunOutcome =>
    endRun("terminated", violations.map(describeViolation).join("\n"));

  for (;;) {
    if (stopRequest !== null) return endRun("interrupted", stopRequest);
    const next = scheduler.next();
    if (next === undefined) break;
    const outcome = await runNode(next);
    if (outcome) return outcome;
  }
  const failed = [...state.graph.nodes()].some((node) => node.status !== "succeeded");
  return endRun(failed ? "failed" : "succeeded", failed ? "a task failed" : null);

  async function runNode(id: NodeId): Promise<RunOutcome | null> {
    const node = state.graph.node(id)!;
    const attempt = node.attempts + 1;
    const logPath = join(options.logsDir, `${id}.${attempt}.log`);
    const started = Date.now();
    record([{ type: "node_status", id, status: "running", attempt, reason: null }], () =>
      store.attempts.startAttempt(runId, id, attempt, now(), logPath),
    );
    state.apply({ type: "node_status", id, status: "running", attempt, reason: null });
    onProgress({ kind: "node", node: id, status: "running", attempt, seconds: null, reason: null });

    const script = resolve(options.dir, node.run);
    const pending: MutationEvent[] = [];
    let staged = 0;
    let outputs: Record<string, unknown> | null = null;
    let violations: readonly Violation[] = [];

    const stage = () => {
      if (staged === pending.length) return;
      const batch = pending.slice(staged);
      store.transaction(() => store.history.stageProvisional(runId, id, attempt, staged, batch));
      staged = pending.length;
    };

    const propose = (event: MutationEvent): LineVerdict => {
      if (event.type !== "promise_made") {
        const refusal = state.refusal(event);
        if (refusal?.kind === "structural") return { stop: true, reason: refusal.message };
        if (refusal?.kind === "promise") {
          violations = [refusal.violation];
          return { stop: true, reason: "it broke a promise" };
        }
      }
      const broken = state.apply(event, true);
      if (broken.length > 0) {
        violations = broken;
        return { stop: true, reason: "it broke a promise" };
      }
      pending.push(event);
      return CONTINUE;
    };

    const onLine = (decoded: DecodedLine): LineVerdict => {
      if (decoded.kind === "invalid") return { stop: true, reason: decoded.error };
      if (decoded.kind !== "message") return CONTINUE;
      const verdict = handle(decoded.message, decoded.line);
      return verdict.stop && !violations.length ? { stop: true, reason: `stdout line ${decoded.line}: ${verdict.reason}` } : verdict;
    };

    const handle = (message: TaskMessage, line: number): LineVerdict => {
      switch (message.type) {
        case "add_node": {
          const { promises, type: _, ...spec } = message;
          const verdict = propose({ type: "node_added", ...spec, created_by: id });
          if (verdict.stop) return verdict;
          for (const promise of promises) {
            const scope = promise.scope === undefined || promise.scope === "$self" ? message.id : promise.scope;
            const made = makePromise({ ...promise, scope }, line);
            if (made.stop) return made;
          }
          return CONTINUE;
        }
        case "add_edge":
          return propose({ type: "edge_added", from: message.from, to: message.to, created_by: id });
        case "promise": {
          const { type: _, ...promise } = message;
          return makePromise({ ...promise, scope: promise.scope === "$self" ? id : promise.scope }, line);
        }
        case "log":
          return CONTINUE;
        case "output":
          outputs = { ...(outputs ?? {}), ...message.values };
          return CONTINUE;
      }
    };

    const makePromise = (promise: Extract<MutationEvent, { type: "promise_made" }>["promise"], line: number): LineVerdict => {
      const problems = validatePromise(promise, {
        path: "promise",
        nodeExists: (nodeId) => state.graph.has(nodeId),
        allowSelf: false,
      });
      if (problems.length > 0) {
        return { stop: true, reason: problems.map((p) => `${p.path}: ${p.message}`).join("; ") };
      }
      return propose({ type: "promise_made", promise, origin: { kind: "message", node: id, line }, made_by: id });
    };

    let exit: TaskExit;
    if (!existsSync(script)) {
      exit = { exitCode: null, signal: null, killedBecause: `script not found: ${node.run} (in ${options.dir})` };
    } else {
      mkdirSync(options.logsDir, { recursive: true, mode: 0o700 });
      const task = launchTask(
        {
          python: options.python,
          script,
          args: node.args,
          cwd: options.dir,
          env: taskEnv(runId, id, attempt),
          start: { type: "start", run_id: runId, node: { id, params: { ...node.params } }, attempt },
          logPath,
          maxLineLength: options.maxLineLength,
        },
        onLine,
      );
      runningTask = task;
      const timer = setInterval(stage, STAGE_INTERVAL_MS);
      exit = await task.exit;
      clearInterval(timer);
      runningTask = null;
    }
    const seconds = (Date.now() - started) / 1000;

    if (violations.length > 0) {
      const reason = `killed: ${violations.map(describeViolation).join("; ")}`;
      finishAttempt(id, attempt, "failed", exit, reason, []);
      return terminate(violations);
    }
    if (stopRequest !== null) {
      // Interrupted: the attempt is lost, the node runs again on resume.
      finishAttempt(id, attempt, "pending", exit, `interrupted: ${stopRequest}`, []);
      return endRun("interrupted", stopRequest);
    }
    const failure = failureReason(exit);
    if (failure !== null) {
      finishAttempt(id, attempt, "failed", exit, failure, []);
      onProgress({ kind: "node", node: id, status: "failed", attempt, seconds, reason: failure });
      blockDescendants(id);
      return null;
    }
    const committed: RunEvent[] = [...pending];
    if (outputs !== null) committed.push({ type: "output", id, values: outputs });
    const broken = finishAttempt(id, attempt, "succeeded", exit, null, committed);
    onProgress({ kind: "node", node: id, status: "succeeded", attempt, seconds, reason: null });
    return broken.length > 0 ? terminate(broken) : null;
  }

  /**
   * Record how an attempt ended and the node's new status; on success commit its
   * mutations. Returns the shape promises broken because a scope just completed.
   */
  function finishAttempt(
    id: NodeId,
    attempt: number,
    status: "succeeded" | "failed" | "pending",
    exit: TaskExit,
    reason: string | null,
    committed: readonly RunEvent[],
  ): readonly Violation[] {
    const statusEvent: RunEvent = { type: "node_status", id, status, attempt, reason };
    record([...committed, statusEvent], () => {
      store.history.clearProvisional(runId);
      store.attempts.finishAttempt(runId, id, attempt, now(), {
        status: status === "succeeded" ? "succeeded" : "failed",
        exitCode: exit.exitCode,
        signal: exit.signal,
        reason,
      });
    });
    if (status === "succeeded") {
      const mutations = committed.filter(
        (e): e is MutationEvent => e.type === "node_added" || e.type === "edge_added" || e.type === "promise_made",
      );
      state.commit(mutations);
      const nodes: NodeId[] = [];
      const edges: [NodeId, NodeId][] = [];
      for (const event of committed) {
        if (event.type === "output") state.apply(event);
        else if (event.type === "node_added") nodes.push(event.id);
        else if (event.type === "edge_added") edges.push([event.from, event.to]);
      }
      scheduler.committed(nodes, edges);
      const broken = state.apply(statusEvent);
      scheduler.succeeded(id);
      return broken;
    }
    // Discard the attempt's provisional mutations: rebuild from what is committed.
    state = RunState.replay(store.history.read(runId).map((e) => e.event));
    scheduler = new Scheduler(state.graph);
    return [];
  }

  function blockDescendants(id: NodeId): void {
    const blocked: RunEvent[] = [];
    for (const d of state.graph.descendants(id)) {
      const node = state.graph.node(d)!;
      if (!isSettled(node.status) && node.status === "pending") {
        blocked.push({ type: "node_status", id: d, status: "blocked", attempt: node.attempts, reason: `upstream ${id} failed` });
      }
    }
    if (blocked.length === 0) return;
    record(blocked);
    for (const event of blocked) {
      state.apply(event);
      if (event.type === "node_status") {
        onProgress({ kind: "node", node: event.id, status: "blocked", attempt: event.attempt, seconds: null, reason: event.reason });
      }
    }
  }
};

const failureReason = (exit: TaskExit): string | null => {
  if (exit.killedBecause !== null) return exit.killedBecause;
  if (exit.signal !== null) return `killed by signal ${exit.signal}`;
  if (exit.exitCode !== 0) return `exited with code ${exit.exitCode}`;
  return null;
};

const taskEnv = (runId: string, node: NodeId, attempt: number): Record<string, string> => {
  const pythonPath = process.env.PYTHONPATH;
  return {
    ORCH_RUN_ID: runId,
    ORCH_NODE_ID: node,
    ORCH_ATTEMPT: String(attempt),
    PYTHONPATH: pythonPath ? `${SDK_DIR}:${pythonPath}` : SDK_DIR,
  };
};
