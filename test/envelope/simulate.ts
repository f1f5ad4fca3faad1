import fc from "fast-check";
import { covers } from "../../src/envelope/covers.js";
import { computeEnvelope } from "../../src/envelope/envelope.js";
import type { Envelope } from "../../src/envelope/model.js";
import type { NodeId } from "../../src/graph/ids.js";
import { candidateMutations, IdMaker, rulesArb, Tape } from "./generate.js";
import { SimRun, type WorkflowSpec } from "./run.js";

type Action = {
  readonly kind: "succeed" | "again" | "fail" | "start" | "mutate" | "promise";
  readonly node: NodeId;
};

export const MAX_STEPS = 100;
const MAX_NODES = 14;
const MAX_RUNNING = 2;

interface Drawn {
  readonly step: number;
  readonly envelope: Envelope;
}

/** What may happen next, the first being what happens once the tape runs out (the run drains). */
const actions = (
  run: SimRun,
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
    if (loop && loop.createdBy === null && (iterations.get(loopKey(loop)) ?? 1) < loop.max)
      out.push({ kind: "again", node }, { kind: "again", node });
  }
  if (running.length < MAX_RUNNING)
    out.push(...run.ready().map((node) => ({ kind: "start" as const, node })));
  for (const node of running) {
    if (run.graph.size < MAX_NODES)
      out.push(...Array.from({ length: 10 }, () => ({ kind: "mutate" as const, node })));
    if (promises) out.push({ kind: "promise", node });
    if (quiet.has(node)) out.push({ kind: "fail", node });
  }
  return out;
};

export interface Simulated {
  readonly run: SimRun;
  readonly drawn: readonly Drawn[];
  /** Set when an envelope failed to cover a graph the run reached. */
  readonly uncovered: string | null;
  /** How many times a loop went again. */
  readonly iterations: number;
}

/**
 * Drives one run the way the engine does and checks, at every step, that
 * every earlier envelope (stacked and expanded) covers the graph reached.
 */
export const simulate = (
  spec: WorkflowSpec,
  values: readonly number[],
  promises = true,
): Simulated => {
  let run = new SimRun(spec);
  const iterations = new Map<string, number>();
  const tape = new Tape(values);
  const ids = new IdMaker();
  const drawn: Drawn[] = [];
  const quiet = new Set<NodeId>();
  let againCount = 0;
  for (let step = 0; step < MAX_STEPS * 4 && !run.broken; step++) {
    drawn.push({ step, envelope: computeEnvelope(run.graph, run.book, { expand: true }) });
    drawn.push({ step, envelope: computeEnvelope(run.graph, run.book) });
    for (const d of drawn) {
      const verdict = covers(d.envelope, run.graph);
      if (verdict !== true)
        return {
          run,
          drawn,
          uncovered: `envelope of step ${d.step}: ${verdict}`,
          iterations: againCount,
        };
    }
    const next = actions(run, quiet, promises, iterations);
    if (next.length === 0) break;
    const action = step < MAX_STEPS ? tape.pick(next) : next[0]!;
    if (step >= MAX_STEPS && action.kind !== "succeed" && action.kind !== "start") break;
    if (action.kind === "again") {
      const loop = run.graph.loopFrom(action.node)!;
      iterations.set(loopKey(loop), (iterations.get(loopKey(loop)) ?? 1) + 1);
      run = run.again(action.node);
      againCount++;
    } else act(run, action, tape, ids, quiet);
  }
  return { run, drawn, uncovered: null, iterations: againCount };
};

const loopKey = (loop: { readonly from: NodeId; readonly to: NodeId }): string =>
  `${loop.from}\u0000${loop.to}`;

const act = (run: SimRun, action: Action, tape: Tape, ids: IdMaker, quiet: Set<NodeId>): void => {
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
      run.fail(node);
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
      run.promise(node, { scope: tape.pick(["$self", "*", ...existing]), ...rules });
    }
  }
};
