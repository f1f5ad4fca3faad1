import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { computeEnvelope } from "../../src/envelope/envelope.js";
import { EnvelopeSchema } from "../../src/envelope/model.js";
import { workflowArb } from "./generate.js";
import type { SimRun } from "./run.js";
import { fcSeed, type Simulated, simulate, simulateWithRestarts, tapeArb } from "./simulate.js";

interface Stats {
  runs: number;
  finished: number;
  terminated: number;
  nodesAdded: number;
  edgesAdded: number;
  withAlternatives: number;
  withLoops: number;
  iterations: number;
}

const record = (stats: Stats, { run, drawn, iterations }: Simulated): void => {
  stats.runs++;
  if (run.broken) stats.terminated++;
  else stats.finished++;
  stats.nodesAdded += [...run.graph.nodes()].filter((n) => n.createdBy !== null).length;
  stats.edgesAdded += [...run.graph.edges()].filter((e) => e.createdBy !== null).length;
  if (drawn.some((d) => d.envelope.wildcards.some((w) => w.alternatives))) stats.withAlternatives++;
  if ([...run.graph.loops()].length > 0) stats.withLoops++;
  stats.iterations += iterations;
};

const isSettledRun = (run: SimRun): boolean =>
  [...run.graph.nodes()].every((n) => n.status !== "pending" && n.status !== "running");

/** FC_RUNS and FC_SEED (see simulate.ts) let a longer, a fresh or a given search run locally. */
const RUNS = Number(process.env.FC_RUNS ?? 500);

describe("soundness", () => {
  it("every graph a run reaches, loops going again included, is covered by every earlier envelope", () => {
    const stats: Stats = {
      runs: 0,
      finished: 0,
      terminated: 0,
      nodesAdded: 0,
      edgesAdded: 0,
      withAlternatives: 0,
      withLoops: 0,
      iterations: 0,
    };
    fc.assert(
      fc.property(workflowArb, tapeArb, (spec, values) => {
        const simulated = simulate(spec, values);
        record(stats, simulated);
        if (simulated.uncovered !== null) throw new Error(simulated.uncovered);
        const { run, drawn } = simulated;
        // A run that broke a promise was terminated: it is not a future the promises allow.
        if (run.broken) return;
        expect(isSettledRun(run)).toBe(true);
        expect(computeEnvelope(run.graph, run.book).wildcards).toEqual([]);
        for (const d of drawn.slice(0, 4)) EnvelopeSchema.parse(d.envelope);
      }),
      { numRuns: RUNS, ...fcSeed },
    );
    console.log("soundness:", stats);
    expect(stats.finished).toBeGreaterThan(stats.runs / 4);
    // Nodes in the final graphs: a loop going again takes back what its body added.
    expect(stats.nodesAdded).toBeGreaterThan(stats.runs / 2);
    expect(stats.withAlternatives).toBeGreaterThan(stats.runs / 10);
    // Loops are drawn and go again: every graph of a later iteration is covered too.
    expect(stats.withLoops).toBeGreaterThan(stats.runs / 10);
    expect(stats.iterations).toBeGreaterThan(stats.runs / 20);
  });

  it("on the engine's run state, tasks failing after they added and promised, some retried, every graph reached is covered", () => {
    let failedAfterWork = 0;
    fc.assert(
      fc.property(workflowArb, tapeArb, (spec, values) => {
        const { run, uncovered } = simulateWithRestarts(spec, values, 0);
        if (uncovered !== null) throw new Error(uncovered);
        failedAfterWork += run.history.filter(
          (e) => e.type === "attempt_ended" && e.status === "failed",
        ).length;
        if (run.broken) return;
        expect(computeEnvelope(run.graph, run.book).wildcards).toEqual([]);
      }),
      { numRuns: RUNS, ...fcSeed },
    );
    expect(failedAfterWork).toBeGreaterThan(RUNS / 4);
  });

  it("a static workflow's envelope is its final graph, at every step", () => {
    const staticArb = workflowArb.map((spec) => ({
      ...spec,
      promises: [{ scope: "*", nodes: false, edges: false }],
    }));
    fc.assert(
      fc.property(staticArb, tapeArb, (spec, values) => {
        const { run, drawn, uncovered } = simulate(spec, values, false);
        expect(uncovered).toBeNull();
        expect(run.broken).toBeNull();
        for (const { envelope } of drawn) {
          expect(envelope.wildcards).toEqual([]);
          expect(envelope.nodes.flatMap((n) => n.members).sort()).toEqual(
            [...run.graph.nodes()].map((n) => n.id).sort(),
          );
        }
      }),
      { numRuns: 100, ...fcSeed },
    );
  });
});
