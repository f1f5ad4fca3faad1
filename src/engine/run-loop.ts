import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { outputsProblem } from "../data/outputs.js";
import { startData } from "../data/start.js";
import { type ExecutorSet, localExecutors } from "../executors/choose.js";
import type { LoopEdge } from "../graph/graph.js";
import type { NodeId } from "../graph/ids.js";
import { restartReach } from "../graph/reach.js";
import { describeViolation } from "../promises/describe.js";
import type { Violation } from "../promises/types.js";
import type { NodeStatusChanged, RunEvent } from "../state/events.js";
import { RunState } from "../state/run-state.js";
import type { RunStatus } from "../state/run-status.js";
import type { CommandRow } from "../store/commands.js";
import { cannotGoOn } from "../store/failures.js";
import type { AttemptKey } from "../store/history.js";
import { now } from "../store/store.js";
import { errorMessage } from "../util/error-message.js";
import { retryDelay } from "../workflow/policy.js";
import { AttemptSession } from "./attempt.js";
import { commandEvent, commandVerdict } from "./command-verdict.js";
import { DueTimers } from "./due.js";
import type { EngineOptions, RunOutcome } from "./execute.js";
import { startHeartbeat } from "./heartbeat.js";
import { attemptEnded, RunJournal } from "./journal.js";
import { type LaunchContext, launchFor, runInfoOf } from "./launch.js";
import type { LineVerdict } from "./lines.js";
import { againProblem, attemptTouches, restartProblem } from "./restart.js";
import { type Judged, Scheduler } from "./scheduler.js";
import {
  failureReason,
  type SupervisedAttempt,
  superviseAttempt,
  type TaskExit,
} from "./supervise.js";
import { scriptOf } from "./task-command.js";
import { type Release, RunSlots } from "./task-slots.js";

/** How often running attempts' provisional mutations are made visible to readers. */
const STAGE_INTERVAL_MS = 100;
/** How often the owner of a run says it is alive. */
/** How often the command inbox is read (a command also wakes the loop when it takes effect). */
const INBOX_INTERVAL_MS = 200;
/** Most running nodes a progress line names. */
const NAMED_IN_PROGRESS = 8;

/** One attempt in flight. */
interface Flight {
  readonly key: AttemptKey;
  readonly session: AttemptSession;
  readonly startedAt: number;
  /** Its slot of the tasks running at once across runs. */
  readonly release: Release;
  task: SupervisedAttempt | null;
  /** Set when the loop stopped it: the attempt and its node then end this way, whatever its exit. */
  stoppedAs: StoppedAs | null;
  /** Set when its mutations could not be staged: it fails. */
  stageError: string | null;
}

/**
 * Nodes to reset and take back, as `orch restart NODE` does: for that command
 * (acknowledged once carried out), or for a loop going again (`loop`: its edge).
 */
type PendingReset =
  | { readonly node: NodeId; readonly command: CommandRow; readonly loop?: undefined }
  | { readonly node: NodeId; readonly loop: LoopEdge; readonly command?: undefined };

/** How an attempt the loop stopped ends, and where its node goes. */
interface StoppedAs {
  readonly attempt: "lost" | "cancelled";
  /** `pending`: it runs again (interrupted, or its node is restarted). */
  readonly node: "pending" | "cancelled";
  readonly reason: string;
}

const NO_EXIT: TaskExit = { exitCode: null, signal: null, stoppedBecause: null };

/**
 * The run as a state machine driven by events: attempts ending, retries
 * falling due, an interrupt. Between events it starts ready nodes, earliest
 * created first, while fewer than `parallel` attempts are in flight. Every
 * state change goes through the journal (store first, then memory).
 */
export class RunLoop {
  readonly #options: EngineOptions;
  /** Rebuilt from the history when a restart takes nodes back. */
  #state: RunState;
  readonly #journal: RunJournal;
  #scheduler: Scheduler;
  readonly #due: DueTimers;
  readonly #inFlight = new Map<NodeId, Flight>();
  /** Ready nodes a running attempt has added an edge into: they wait for its end. */
  readonly #heldBack = new Set<NodeId>();
  readonly #random: () => number;
  #launch: LaunchContext;
  readonly #slots: RunSlots;
  #executors: ExecutorSet | null = null;
  #stopRequest: string | null = null;
  /** Why the run is being terminated (a broken promise), once it is. */
  #terminated: string | null = null;
  #fatal: { readonly error: unknown } | null = null;
  /** `orch pause`: no new attempt starts. */
  #paused = false;
  /** Why the run is being cancelled (`orch cancel`), once it is. */
  #cancelled: string | null = null;
  /** A restart or a loop's next iteration being carried out: nothing starts until it is (see `#carryOutReset`). */
  #resetting: PendingReset | null = null;
  #wake: () => void = () => {};

  constructor(options: EngineOptions) {
    this.#options = options;
    const { store, runId } = options;
    this.#state = RunState.replay(store.history.read(runId).map((e) => e.event));
    this.#journal = new RunJournal(store, runId, this.#state);
    this.#scheduler = this.#newScheduler();
    this.#due = new DueTimers((id) => {
      this.#scheduler.due(id);
      this.#wake();
    });
    this.#random = options.random ?? Math.random;
    const run = runInfoOf(store.runs.getRun(runId));
    this.#launch = {
      runId,
      dir: options.dir,
      python: options.python,
      pluginFolders: this.#state.pluginFolders,
      graph: this.#state.graph,
      ...(run === undefined ? {} : { run }),
    };
    this.#slots = new RunSlots(options.limiter, () => this.#wake());
  }

  async execute(): Promise<RunOutcome> {
    const { store, runId } = this.#options;
    mkdirSync(this.#options.logsDir, { recursive: true, mode: 0o700 });
    const heartbeat = startHeartbeat(store, runId, this.#options.onLost);
    const stager = setInterval(() => this.#stageAll(), STAGE_INTERVAL_MS);
    const inbox = setInterval(() => this.#takeCommands(), INBOX_INTERVAL_MS);
    void this.#options.interrupted.then((why) => {
      this.#stopRequest = why;
      this.#stopAll(
        { attempt: "lost", node: "pending", reason: `interrupted: ${why}` },
        "graceful",
      );
      this.#wake();
    });
    this.#scheduleRetries();
    // A loop that was to go again when orch stopped goes again first.
    this.#resetting = this.#loopDue();
    if (this.#resetting === null) this.#guard(() => this.#judge());
    this.#executors =
      this.#options.executors ??
      localExecutors(this.#options.python, {
        dir: this.#options.dir,
        preload: this.#state.preload,
      });
    try {
      for (;;) {
        if (this.#resetting !== null && !this.#ending()) this.#guard(() => this.#carryOutReset());
        if (this.#mayStart()) this.#startReady();
        else if (this.#ending()) this.#slots.close();
        if (this.#inFlight.size === 0) {
          if (this.#fatal !== null) throw this.#fatal.error;
          if (this.#terminated !== null) return this.#end("terminated", this.#terminated);
          if (this.#cancelled !== null) return this.#end("cancelled", this.#cancelled);
          if (this.#stopRequest !== null) return this.#end("interrupted", this.#stopRequest);
          // Paused, or a node waits for an answer: only a command moves the run on.
          if (this.#due.size === 0 && !this.#slots.asking && !this.#paused && !this.#anyWaiting()) {
            if (this.#blockHeldAfterFailure()) continue;
            break;
          }
        }
        await new Promise<void>((wake) => {
          this.#wake = wake;
        });
      }
      const held = this.#scheduler.held();
      if (held.size > 0)
        return this.#end(
          "terminated",
          [...held].map(([id, why]) => `${id} can never start: ${why}`).join("\n"),
        );
      // A skipped node is not a failure: its trigger did not call for it.
      const failed = [...this.#state.graph.nodes()].some(
        (node) => node.status !== "succeeded" && node.status !== "skipped",
      );
      return this.#end(failed ? "failed" : "succeeded", failed ? "a task failed" : null);
    } finally {
      clearInterval(heartbeat);
      clearInterval(stager);
      clearInterval(inbox);
      this.#due.clear();
      this.#slots.close();
      if (this.#options.executors === undefined) this.#executors.close();
    }
  }

  #mayStart(): boolean {
    return !this.#ending() && !this.#paused && this.#resetting === null;
  }

  #newScheduler(): Scheduler {
    return new Scheduler(this.#state.graph, (id) => this.#state.book.heldBack(id));
  }

  #scheduleRetries(): void {
    for (const node of this.#state.graph.nodes()) {
      if (node.status === "retrying")
        this.#due.schedule(node.id, this.#state.nextAttemptAt.get(node.id) ?? now());
    }
  }

  /** The run as its history holds it: committed, with no attempt's provisional mutations. */
  #committedState(): RunState {
    const { store, runId } = this.#options;
    return RunState.replay(store.history.read(runId).map((e) => e.event));
  }

  /** The run is stopping: it starts nothing more, ever (a pause is not that). */
  #ending(): boolean {
    return (
      this.#fatal !== null ||
      this.#stopRequest !== null ||
      this.#terminated !== null ||
      this.#cancelled !== null
    );
  }

  #anyWaiting(): boolean {
    for (const node of this.#state.graph.nodes()) if (node.status === "waiting") return true;
    return false;
  }

  /** Apply the commands given to the run since the last look, in order. */
  #takeCommands(): void {
    const { store, runId } = this.#options;
    // Commands given after a restart wait until it is carried out.
    if (this.#fatal !== null || this.#resetting !== null) return;
    let pending: readonly CommandRow[];
    try {
      pending = store.commands.pending(runId);
    } catch (error) {
      this.#guard(() => {
        throw error;
      });
      return;
    }
    for (const command of pending) {
      if (this.#resetting !== null) return;
      this.#guard(() => this.#applyCommand(command));
    }
  }

  /**
   * Take the command (recorded with its effect and its acknowledgement in one
   * fenced transaction), or refuse it saying why.
   */
  #applyCommand(row: CommandRow): void {
    const { store } = this.#options;
    if (row.command === "restart") {
      const node = row.node_id ?? "";
      const problem = restartProblem(this.#committedState(), node);
      if (problem === null) this.#resetting = { node, command: row };
      else store.transaction(() => store.commands.settle(row.id, "refused", problem, now()));
      return;
    }
    const verdict = commandVerdict(this.#state, row, this.#paused);
    if (!verdict.ok) {
      store.transaction(() => store.commands.settle(row.id, "refused", verdict.reason, now()));
      return;
    }
    this.#journal.record([commandEvent(row), ...verdict.events], () =>
      store.commands.settle(row.id, "acknowledged", verdict.says, now()),
    );
    this.#commandTookEffect(row);
  }

  #commandTookEffect(row: CommandRow): void {
    switch (row.command) {
      case "pause":
        this.#paused = true;
        return;
      case "resume":
        this.#paused = false;
        return;
      case "cancel":
        this.#cancelled ??= `cancelled by ${row.given_by}`;
        this.#stopAll(
          { attempt: "cancelled", node: "cancelled", reason: "the run was cancelled" },
          "graceful",
        );
        return;
      case "answer":
        if (row.node_id !== null) this.#scheduler.due(row.node_id);
        return;
      case "restart":
        return;
    }
  }

  /**
   * Carry out the pending reset: first every running attempt it reaches (a
   * node it resets or takes back, or one that added an edge touching them) is
   * stopped and its end awaited; then the reset is recorded (with the
   * command's acknowledgement, or the loop's next iteration), and the run
   * state rebuilt from the history. The reach is computed again each time, on
   * the committed graph of the moment.
   */
  #carryOutReset(): void {
    const { store } = this.#options;
    const pending = this.#resetting!;
    const { node, command } = pending;
    const committed = this.#committedState();
    const problem = restartProblem(committed, node);
    if (problem !== null) {
      this.#resetting = null;
      if (command !== undefined)
        store.transaction(() => store.commands.settle(command.id, "refused", problem, now()));
      return;
    }
    const reach = restartReach(committed.graph, node);
    const reached = new Set([...reach.reset, ...reach.removed]);
    const stopping =
      pending.loop === undefined
        ? `stopped: ${node} is restarted`
        : `stopped: loop ${pending.loop.from} -> ${node} goes again`;
    let awaited = 0;
    for (const flight of this.#inFlight.values()) {
      if (!attemptTouches(flight.key.node, flight.session.mutations, reached)) continue;
      awaited++;
      if (flight.stoppedAs !== null) continue;
      flight.stoppedAs = { attempt: "cancelled", node: "pending", reason: stopping };
      flight.task?.stop(stopping, "graceful");
    }
    if (awaited > 0) return;
    const reset: RunEvent = { type: "nodes_reset", ...reach };
    let says: string;
    if (command !== undefined) {
      says =
        `restarted at ${node}: ${reach.reset.length} node(s) run again` +
        (reach.removed.length > 0 ? `, ${reach.removed.length} taken back` : "");
      this.#journal.record([commandEvent(command), reset], () =>
        store.commands.settle(command.id, "acknowledged", says, now()),
      );
      says += ` (by ${command.given_by})`;
    } else {
      const { from, to } = pending.loop;
      const iteration = committed.loopIteration(from, to) + 1;
      // After the reset, so that replaying the history keeps it (see withoutTakenBack).
      this.#journal.record([
        reset,
        {
          type: "loop_again",
          from,
          to,
          iteration,
          outputs: { ...committed.outputs.get(from) },
        },
      ]);
      says = `loop ${from} -> ${to}: iteration ${iteration}`;
    }
    this.#resetting = null;
    this.#rebuild();
    this.#nodeProgress(
      { type: "node_status", id: node, status: "pending", attempt: 0, reason: null },
      null,
      says,
    );
  }

  /** A loop source that succeeded asking to go again, whose loop has not gone again yet. */
  #loopDue(): PendingReset | null {
    for (const from of this.#state.againDue) {
      const loop = this.#state.graph.loopFrom(from);
      if (loop !== undefined) return { node: loop.to, loop };
    }
    return null;
  }

  /**
   * Rebuild the run state from the history, with every running attempt's
   * mutations provisional in it again, and everything derived from it.
   */
  #rebuild(): void {
    const state = this.#committedState();
    for (const flight of this.#inFlight.values()) {
      const { node: id, attempt } = flight.key;
      if (state.graph.node(id)?.status !== "running")
        state.apply({ type: "node_status", id, status: "running", attempt, reason: null });
      for (const mutation of flight.session.mutations) state.apply(mutation, true);
      flight.session.moveTo(state);
    }
    this.#state = state;
    this.#journal.moveTo(state);
    this.#scheduler = this.#newScheduler();
    this.#launch = { ...this.#launch, graph: state.graph };
    this.#heldBack.clear();
    this.#due.clear();
    this.#scheduleRetries();
    this.#resetting = this.#loopDue();
    if (this.#resetting === null) this.#judge();
  }

  #startReady(): void {
    while (this.#inFlight.size < this.#options.parallel) {
      const id = this.#scheduler.next();
      if (id === undefined) break;
      if (this.#hasProvisionalInput(id)) {
        this.#heldBack.add(id);
        continue;
      }
      const slot = this.#slots.take();
      if (slot === null) {
        // Woken when a slot comes; the node is ready again then.
        this.#scheduler.due(id);
        break;
      }
      this.#start(id, slot);
    }
    this.#slots.giveBackUnused();
  }

  #start(id: NodeId, release: Release): void {
    const { limits, logsDir } = this.#options;
    const node = this.#state.graph.node(id)!;
    const attempt = node.attempts + 1;
    const iteration = this.#state.iterationOf(id);
    const running = this.#journal.begin(id, attempt, iteration);
    const logPath = resolve(join(logsDir, `${id}.${attempt}.log`));
    const session = new AttemptSession(this.#state, id, limits);
    const executor = this.#executors!.executorFor(node, this.#state.policy(id));
    const flight: Flight = {
      key: { node: id, attempt },
      session,
      startedAt: Date.now(),
      release,
      task: null,
      stoppedAs: null,
      stageError: null,
    };
    this.#inFlight.set(id, flight);
    this.#nodeProgress(running, null, null);
    // Inputs are resolved as the attempt starts, from what has committed by then.
    const data = startData(this.#state, id);
    const answers = this.#state.answers.get(id);
    const launch = launchFor(this.#launch, node, attempt, logPath, {
      ...(data.ok ? data.fields : {}),
      ...(answers === undefined ? {} : { answers }),
      ...(iteration === null ? {} : { iteration }),
    });
    const script = scriptOf(node.run, this.#options.dir);
    const unstartable = !data.ok
      ? data.reason
      : script !== null && !existsSync(script)
        ? `script not found: ${node.run} (relative to ${this.#options.dir})`
        : null;
    if (unstartable !== null) {
      this.#guard(() => {
        this.#journal.started(running, executor.name, null, logPath);
        this.#ended(flight, { ...NO_EXIT, stoppedBecause: unstartable });
      });
      return;
    }
    const inputs: RunEvent[] =
      data.ok && data.fields.inputs !== undefined
        ? [{ type: "inputs", id, values: data.fields.inputs }]
        : [];
    const task = superviseAttempt({
      executor,
      launch,
      onLine: (line): LineVerdict => {
        const verdict = session.onLine(line);
        if (session.violations.length > 0) this.#terminate(session.violations);
        return verdict;
      },
      maxLineLength: limits.maxLineLength,
      timeout: this.#state.policy(id).timeout,
      killGrace: limits.killGrace,
    });
    flight.task = task;
    // Recorded once the process exists, with its handle; lines it wrote
    // meanwhile have only reached the session, which stages them later.
    void task.handle
      .then((handle) =>
        this.#guard(() => this.#journal.started(running, executor.name, handle, logPath, inputs)),
      )
      .then(() => task.exit)
      .then((exit) => this.#guard(() => this.#ended(flight, exit)));
  }

  /** Run a step that writes; a failure of the store stops the run (see `execute`). */
  #guard(step: () => void): void {
    if (this.#fatal !== null) return;
    try {
      step();
    } catch (error) {
      this.#fatal = { error };
      for (const flight of this.#inFlight.values()) {
        flight.task?.stop("orch cannot go on", "now");
        flight.release();
      }
      this.#inFlight.clear();
    } finally {
      this.#wake();
    }
  }

  /**
   * An edge into `id` that a running attempt added may commit: `id` must not
   * start before that attempt ends (and then its source node, if it commits).
   */
  #hasProvisionalInput(id: NodeId): boolean {
    const { graph } = this.#state;
    for (const from of graph.predecessors(id)) if (graph.edge(from, id)?.provisional) return true;
    return false;
  }

  /** An attempt's process ended (or never started): record how, and what follows. */
  #ended(flight: Flight, exit: TaskExit): void {
    flight.release();
    try {
      this.#settle(flight, exit);
    } finally {
      // Its provisional edges committed or vanished: nodes held back are ready to be looked at again.
      for (const id of this.#heldBack) this.#scheduler.due(id);
      this.#heldBack.clear();
    }
  }

  #settle(flight: Flight, exit: TaskExit): void {
    const { node: id, attempt } = flight.key;
    this.#inFlight.delete(id);
    const seconds = (Date.now() - flight.startedAt) / 1000;
    const { session } = flight;
    if (session.violations.length > 0) {
      const reason = `killed: ${session.violations.map(describeViolation).join("; ")}`;
      this.#unsuccessful(flight, "failed", "failed", exit, reason, seconds);
      return;
    }
    if (flight.stoppedAs !== null) {
      const { attempt, node, reason } = flight.stoppedAs;
      this.#unsuccessful(flight, attempt, node, exit, reason, seconds);
      return;
    }
    if (session.asked !== null && flight.stageError === null && failureReason(exit) === null) {
      this.#waits(flight, exit, session.asked, seconds);
      return;
    }
    const failure =
      flight.stageError ??
      failureReason(exit) ??
      outputsProblem(
        this.#state.data.declaredOutputs.get(id),
        session.outputs,
        this.#options.limits.maxOutput,
      );
    if (failure !== null) {
      this.#failed(flight, exit, failure, seconds);
      return;
    }
    const loop = session.again ? this.#state.graph.loopFrom(id) : undefined;
    const loopProblem = session.again ? againProblem(this.#state, id) : null;
    if (loopProblem !== null) {
      this.#unsuccessful(flight, "failed", "failed", exit, loopProblem, seconds);
      return;
    }
    const tail: RunEvent[] = [];
    if (session.outputs !== null) tail.push({ type: "output", id, values: session.outputs });
    const ended = attemptEnded(id, attempt, "succeeded", exit, null);
    tail.push(loop === undefined ? ended : { ...ended, again: true });
    const succeeded: NodeStatusChanged = {
      type: "node_status",
      id,
      status: "succeeded",
      attempt,
      reason: null,
    };
    tail.push(succeeded);
    let broken: readonly Violation[];
    try {
      broken = this.#journal.commit(flight.key, session.mutations, tail, () =>
        this.#scheduler.committed(session.addedNodes, session.addedEdges),
      );
    } catch (error) {
      // This process cannot write the run any more: not the task's failure.
      if (cannotGoOn(error)) throw error;
      this.#failed(
        flight,
        exit,
        `orch could not commit what the task did: ${errorMessage(error)}`,
        seconds,
      );
      return;
    }
    this.#nodeProgress(succeeded, seconds, loop === undefined ? null : "asks to go again");
    if (loop === undefined) {
      this.#scheduler.settled(id);
      this.#judge();
    } else {
      // Its successors wait: the loop's body runs again first.
      this.#resetting ??= { node: loop.to, loop };
    }
    if (broken.length > 0) this.#terminate(broken);
  }

  /** The attempt asked a person: what it added goes, and the node waits for the answer. */
  #waits(
    flight: Flight,
    exit: TaskExit,
    asked: NonNullable<AttemptSession["asked"]>,
    seconds: number,
  ): void {
    const { node: id, attempt } = flight.key;
    const waiting: NodeStatusChanged = {
      type: "node_status",
      id,
      status: "waiting",
      attempt,
      reason: `asks: ${asked.prompt}`,
    };
    this.#journal.discard(flight.key, [
      attemptEnded(id, attempt, "waiting", exit, "asked for input"),
      { type: "asked", id, attempt, prompt: asked.prompt, schema: asked.schema },
      waiting,
    ]);
    this.#nodeProgress(waiting, seconds, waiting.reason);
  }

  /** A failed attempt: the node retries when it has retries left, else it failed. */
  #failed(flight: Flight, exit: TaskExit, reason: string, seconds: number): void {
    const { node: id, attempt } = flight.key;
    const policy = this.#state.policy(id);
    const failures = (this.#state.failures.get(id) ?? 0) + 1;
    if (failures > policy.retries) {
      this.#unsuccessful(flight, "failed", "failed", exit, reason, seconds);
      return;
    }
    const delay = retryDelay(policy, failures, this.#random());
    const due = new Date(Date.now() + delay * 1000).toISOString();
    const retrying: NodeStatusChanged = {
      type: "node_status",
      id,
      status: "retrying",
      attempt,
      reason: `attempt ${attempt} failed (${reason}); next attempt in ${delay.toFixed(1)}s`,
      next_attempt_at: due,
    };
    this.#journal.discard(flight.key, [
      attemptEnded(id, attempt, "failed", exit, reason),
      retrying,
    ]);
    this.#nodeProgress(retrying, seconds, retrying.reason);
    this.#due.schedule(id, due);
  }

  #unsuccessful(
    flight: Flight,
    attemptStatus: "failed" | "lost" | "cancelled",
    nodeStatus: "failed" | "pending" | "cancelled",
    exit: TaskExit,
    reason: string,
    seconds: number,
  ): void {
    const { node: id, attempt } = flight.key;
    const status: NodeStatusChanged = {
      type: "node_status",
      id,
      status: nodeStatus,
      attempt,
      reason,
    };
    this.#journal.discard(flight.key, [
      attemptEnded(id, attempt, attemptStatus, exit, reason),
      status,
    ]);
    this.#nodeProgress(status, seconds, reason);
    if (nodeStatus !== "pending") {
      this.#scheduler.settled(id);
      this.#judge();
    }
  }

  /**
   * Nothing runs or can run, yet nodes are held back by promises: they never
   * will start. After a failure they are blocked (the run failed), and what
   * follows them is judged; otherwise the promises holding them can never be
   * kept, and the run is terminated (see `execute`). True when it blocked any.
   */
  #blockHeldAfterFailure(): boolean {
    const held = this.#scheduler.held();
    const failed = [...this.#state.graph.nodes()].some(
      (node) => node.status === "failed" || node.status === "blocked",
    );
    if (held.size === 0 || !failed) return false;
    const blocked = [...held].map(
      ([id, why]): Judged => ({ id, status: "blocked", reason: `held back: ${why}` }),
    );
    this.#recordJudged(blocked);
    for (const { id } of blocked) this.#scheduler.settled(id);
    this.#judge();
    return true;
  }

  /** Nodes whose predecessors all settled start, or are blocked or skipped by their trigger. */
  #judge(): void {
    // A terminated or cancelled run cancels what has not run, whatever the triggers say.
    if (this.#terminated !== null || this.#cancelled !== null) return;
    this.#scheduler.judge((judged) => this.#recordJudged(judged));
  }

  /** Record nodes settled without running (blocked, skipped). */
  #recordJudged(judged: readonly Judged[]): void {
    const events = judged.map(
      ({ id, status, reason }): NodeStatusChanged => ({
        type: "node_status",
        id,
        status,
        attempt: this.#state.graph.node(id)!.attempts,
        reason,
      }),
    );
    this.#journal.record(events);
    for (const event of events) this.#nodeProgress(event, null, event.reason);
  }

  /** A promise was broken: no task starts any more, and every running one is stopped. */
  #terminate(violations: readonly Violation[]): void {
    if (this.#terminated !== null) return;
    this.#terminated = violations.map(describeViolation).join("\n");
    this.#stopAll(
      {
        attempt: "cancelled",
        node: "cancelled",
        reason: "the run was terminated: a promise was broken",
      },
      "now",
    );
    this.#wake();
  }

  #stopAll(as: StoppedAs, mode: "now" | "graceful"): void {
    for (const flight of this.#inFlight.values()) {
      // The attempt that broke the promise ends as failed, by its own doing.
      if (flight.session.violations.length > 0) continue;
      flight.stoppedAs ??= as;
      flight.task?.stop(as.reason, mode);
    }
  }

  #stageAll(): void {
    for (const flight of this.#inFlight.values()) {
      if (flight.stageError !== null) continue;
      try {
        this.#journal.stage(flight.key, flight.session.takeUnstaged());
      } catch (error) {
        if (cannotGoOn(error)) this.#options.onLost(error);
        flight.stageError = `orch could not record its mutations: ${errorMessage(error)}`;
        flight.task?.stop(flight.stageError, "now");
      }
    }
  }

  #end(status: RunStatus, reason: string | null): RunOutcome {
    const { store, runId } = this.#options;
    const cancelled: RunEvent[] = [];
    if (status === "terminated" || status === "cancelled") {
      for (const node of this.#state.graph.nodes()) {
        const unfinished =
          node.status === "pending" || node.status === "retrying" || node.status === "waiting";
        if (unfinished && !node.provisional) {
          cancelled.push({
            type: "node_status",
            id: node.id,
            status: "cancelled",
            attempt: node.attempts,
            reason: `the run was ${status}`,
          });
        }
      }
    }
    const restart = this.#resetting?.command;
    this.#journal.record([...cancelled, { type: "run_status", status, reason }], () => {
      store.runs.releaseRun(runId);
      if (restart !== undefined)
        store.commands.settle(
          restart.id,
          "refused",
          `the run ended (${status}) before the restart was carried out`,
          now(),
        );
    });
    this.#options.onProgress({ kind: "run", status, reason });
    return { status, reason };
  }

  #nodeProgress(event: NodeStatusChanged, seconds: number | null, reason: string | null): void {
    const running =
      this.#options.parallel > 1 ? [...this.#inFlight.keys()].slice(0, NAMED_IN_PROGRESS) : [];
    this.#options.onProgress({
      kind: "node",
      node: event.id,
      status: event.status,
      attempt: event.attempt,
      seconds,
      reason,
      running,
      inFlight: this.#inFlight.size,
    });
  }
}
