import fc from "fast-check";
import { covers } from "../../src/envelope/covers.js";
import { computeEnvelope } from "../../src/envelope/envelope.js";
import type { Envelope } from "../../src/envelope/model.js";
import { combineRules, mayAddNodes } from "../../src/envelope/rules.js";
import type { NodeId } from "../../src/graph/ids.js";
import type { Reach } from "../../src/graph/reach.js";
import { EventRun } from "./event-run.js";
import { candidateMutations, IdMaker, rulesArb, Tape } from "./generate.js";
import { SimRun, type WorkflowSpec } from "./run.js";

/** The runs simulate drives: both have the same moves. */
type Driven = SimRun | EventRun;

type Action = {
  readonly kind: "succeed" | "again" | "fail" | "start" | "mutate" | "promise";
  readonly node: NodeId;
};

export const MAX_STEPS = 100;

/** The choices a simulation reads: generated, and shrunk, by fast-check. */
export const tapeArb = fc.array(fc.noBias(fc.nat({ max: 1 << 16 })), {
  minLength: 40,
  maxLength: 4 * MAX_STEPS,
});

/**
 * The search the soundness properties make: a fixed one by default, so that a
 * run of the suite is repeatable; `FC_SEED=random` explores afresh (and
 * `FC_RUNS=N` longer), and `FC_SEED=N` replays the search a failure printed.
 */
const SEED = process.env.FC_SEED ?? "20261206";
export const fcSeed = SEED === "random" ? {} : { seed: Number(SEED) };
const MAX_NODES = 14;
const MAX_RUNNING = 2;
/** Steps within which a restart comes, so that most come while tasks run. */
const RESTART_WITHIN = 20;

interface Drawn {
  readonly step: number;
  readonly envelope: Envelope;
}

/** What may happen next, the first being what happens once the tape runs out (the run drains). */
const actions = (
  run: Driven,
  quiet: ReadonlySet<NodeId>,
  promises: boolean,
  iterations: ReadonlyMap<string, number>,
): Action[] => {
  const running = run.running();
  const out: Action[] = running.map((node) => ({ kind: "succeed", node }));
  for (const node of running) {
    const loop = run.graph.loopFrom(node);
    // Loops of the workflow file go again; a loop a task adds is drawn and checked as an
    // addition, but not run: a scope whose rules let it add a loop may so run its
    // ancestors again, which the envelope does not show.
    // Only the simulated run goes round loops; the engine's run state is driven through restarts.
    const goesRound = run instanceof SimRun && loop !== undefined && loop.createdBy === null;
    if (goesRound && (iterations.get(loopKey(loop)) ?? 1) < loop.max)
      out.push({ kind: "again", node }, { kind: "again", node });
  }
  if (running.length < MAX_RUNNING)
    out.push(...run.ready().map((node) => ({ kind: "start" as const, node })));
  for (const node of running) {
    if (run.graph.size < MAX_NODES)
      out.push(...Array.from({ length: 10 }, () => ({ kind: "mutate" as const, node })));
    if (promises) out.push({ kind: "promise", node });
    // The engine's run state takes back what a failed attempt staged; the simulated run cannot.
    if (quiet.has(node) || run instanceof EventRun) out.push({ kind: "fail", node });
  }
  return out;
};

export interface Simulated<R extends Driven = SimRun> {
  readonly run: R;
  readonly drawn: readonly Drawn[];
  /** Set when an envelope failed to cover a graph the run reached. */
  readonly uncovered: string | null;
  /** The restarts made, in order. */
  readonly restarts: readonly Restarted[];
  /** How many times a loop went again. */
  readonly iterations: number;
}

/** A restart made during the run, and the envelope (expanded) drawn right after it. */
export interface Restarted {
  readonly step: number;
  readonly node: NodeId;
  readonly reach: Reach;
  readonly envelope: Envelope;
  /**
   * The reset nodes pending again (not blocked by a failed input) that the
   * promises in force (no shape among them) let add nodes: each should have a
   * wildcard again.
   */
  readonly mayAdd: readonly NodeId[];
  /** The attempts that ran on through the restart: it reached nothing they touched. */
  readonly keptRunning: readonly NodeId[];
}

/**
 * Drives one run the way the engine does and checks, at every step, that
 * every earlier envelope (stacked and expanded) covers the graph reached.
 */
export const simulate = (
  spec: WorkflowSpec,
  values: readonly number[],
  promises = true,
): Simulated => drive(new SimRun(spec), new Tape(values), promises, 0);

/**
 * Drives one run on the engine's own run state, restarted at a node that has
 * run up to `restarts` times at steps the tape picks, and checks, at every
 * step, that every envelope drawn since the last restart covers the graph
 * reached: a restart sets the run back, so what it may become is bounded
 * from then on.
 */
export const simulateWithRestarts = (
  spec: WorkflowSpec,
  values: readonly number[],
  restarts: number,
): Simulated<EventRun> => drive(new EventRun(spec), new Tape(values), true, restarts);

const drive = <R extends Driven>(
  run: R,
  tape: Tape,
  promises: boolean,
  restarts: number,
): Simulated<R> => {
  const ids = new IdMaker();
  const drawn: Drawn[] = [];
  const restarted: Restarted[] = [];
  const quiet = new Set<NodeId>();
  let restartAt = restarts > 0 ? tape.next() % RESTART_WITHIN : Number.POSITIVE_INFINITY;
  const iterations = new Map<string, number>();
  let againCount = 0;
  for (let step = 0; step < MAX_STEPS * 4 && !run.broken; step++) {
    if (step >= restartAt && run instanceof EventRun) {
      const made = restartOne(run, tape, step);
      if (made !== null) {
        restarted.push(made);
        drawn.length = 0;
        restartAt =
          restarted.length < restarts
            ? step + 1 + (tape.next() % RESTART_WITHIN)
            : Number.POSITIVE_INFINITY;
      }
    }
    drawn.push({ step, envelope: envelopeOf(run, true) });
    drawn.push({ step, envelope: envelopeOf(run, false) });
    for (const d of drawn) {
      const verdict = covers(d.envelope, run.graph);
      if (verdict !== true) {
        const after = restarted.at(-1);
        const since =
          after === undefined ? "" : ` (after restarting ${after.node} at step ${after.step})`;
        return {
          run,
          drawn,
          uncovered: `envelope of step ${d.step}${since}: ${verdict}`,
          restarts: restarted,
          iterations: againCount,
        };
      }
    }
    const next = actions(run, quiet, promises, iterations);
    if (next.length === 0) {
      // A run that ended may still be restarted.
      if (restarted.length === restarts || restartAt <= step) break;
      restartAt = step + 1;
      continue;
    }
    const action = step < MAX_STEPS ? tape.pick(next) : next[0]!;
    if (step >= MAX_STEPS && action.kind !== "succeed" && action.kind !== "start") break;
    if (action.kind === "again") {
      const loop = run.graph.loopFrom(action.node)!;
      iterations.set(loopKey(loop), (iterations.get(loopKey(loop)) ?? 1) + 1);
      run = (run as SimRun).again(action.node) as R;
      againCount++;
    } else act(run, action, tape, ids, quiet);
  }
  return { run, drawn, uncovered: null, restarts: restarted, iterations: againCount };
};

/** Restarts a node the tape picks among those that have run, if any has. */
const restartOne = (run: EventRun, tape: Tape, step: number): Restarted | null => {
  const ran = [...run.graph.nodes()].filter((n) => n.status !== "pending" && !n.provisional);
  if (ran.length === 0) return null;
  const node = tape.pick(ran).id;
  const reach = run.restart(node);
  const { book } = run;
  const mayAdd = reach.reset.filter((id) => {
    if (run.graph.node(id)!.status !== "pending") return false;
    const judging = book.judging(id);
    // A shape may have become one its scope can no longer complete: then it adds nothing.
    if (judging.some((p) => p.rules.shape)) return false;
    return mayAddNodes(combineRules(judging, (promise) => book.progress(promise)));
  });
  const envelope = envelopeOf(run, true);
  return { step, node, reach, envelope, mayAdd, keptRunning: run.running() };
};

/** The envelope drawn now: wildcards from what has committed, the running tasks' additions drawn over it. */
export const envelopeOf = (run: Driven, expand: boolean): Envelope => {
  const { graph, book } = run.committed();
  return computeEnvelope(graph, book, { expand, staged: run.graph });
};

const loopKey = (loop: { readonly from: NodeId; readonly to: NodeId }): string =>
  `${loop.from}\u0000${loop.to}`;

const act = (run: Driven, action: Action, tape: Tape, ids: IdMaker, quiet: Set<NodeId>): void => {
  const { node } = action;
  switch (action.kind) {
    case "start":
      run.start(node);
      quiet.add(node);
      return;
    case "succeed":
      run.succeed(node);
      return;
    case "fail":
      if (run instanceof EventRun) run.fail(node, tape.pick([false, true]));
      else run.fail(node);
      return;
    case "mutate": {
      // A mutation the promises refuse is one the task did not make.
      if (run.apply(tape.pick(candidateMutations(run, node, tape, ids))) === "ok")
        quiet.delete(node);
      return;
    }
    case "promise": {
      const existing = [...run.graph.nodes()].map((n) => n.id);
      const [rules] = fc.sample(rulesArb(existing), { numRuns: 1, seed: tape.next() });
      // The simulated run keeps a task that promised from failing: it cannot take a promise back.
      if (run.promise(node, { scope: tape.pick(["$self", "*", ...existing]), ...rules }) === "ok")
        quiet.delete(node);
    }
  }
};
