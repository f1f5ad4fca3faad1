import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { covers } from "../../src/envelope/covers.js";
import { computeEnvelope } from "../../src/envelope/envelope.js";
import type { Envelope } from "../../src/envelope/model.js";
import type { NodeId } from "../../src/graph/ids.js";
import type { Reach } from "../../src/graph/reach.js";
import { RunState } from "../../src/state/run-state.js";
import { EventRun } from "./event-run.js";
import { workflowArb } from "./generate.js";
import { fcSeed, simulateWithRestarts, tapeArb } from "./simulate.js";

/** FC_RUNS and FC_SEED (see simulate.ts) let a longer, a fresh or a given search run locally. */
const RUNS = Number(process.env.FC_RUNS ?? 800);

/** The nodes some wildcard of the envelope stands for. */
const sourcesOf = (envelope: Envelope): Set<NodeId> =>
  new Set(envelope.wildcards.flatMap((w) => w.sources));

/** Each node's status and each edge, as a fold of the history gives them. */
const picture = (graph: RunState["graph"]) => ({
  nodes: [...graph.nodes()].map((n) => `${n.id}:${n.status}:${n.provisional}`).sort(),
  edges: [...graph.edges()].map((e) => `${e.from}->${e.to}:${e.provisional}`).sort(),
});

interface Stats {
  runs: number;
  finished: number;
  restarts: number;
  removed: number;
  wildcardsBack: number;
  keptRunning: number;
}

describe("soundness through a restart", () => {
  it("the envelope drawn after a restart covers every graph the run reaches until it ends", () => {
    const stats: Stats = {
      runs: 0,
      finished: 0,
      restarts: 0,
      removed: 0,
      wildcardsBack: 0,
      keptRunning: 0,
    };
    fc.assert(
      fc.property(workflowArb, tapeArb, (spec, values) => {
        const { run, uncovered, restarts } = simulateWithRestarts(spec, values, 2);
        stats.runs++;
        if (uncovered !== null) throw new Error(uncovered);
        for (const { reach, envelope, mayAdd, keptRunning } of restarts) {
          stats.restarts++;
          stats.keptRunning += keptRunning.length;
          stats.removed += reach.removed.length;
          const drawn = new Map(envelope.nodes.map((n) => [n.id, n.status]));
          // Back to pending, or blocked again if an input is still failed.
          for (const id of reach.reset) expect(["pending", "blocked"]).toContain(drawn.get(id));
          for (const id of reach.removed) expect(drawn.has(id)).toBe(false);
          // The reset nodes' wildcards are back: each that may add nodes is a wildcard's source.
          const sources = sourcesOf(envelope);
          for (const id of mayAdd) expect(sources.has(id), `${id} has no wildcard`).toBe(true);
          stats.wildcardsBack += mayAdd.length;
        }
        // A run that broke a promise was terminated: it is not a future the promises allow.
        if (run.broken) return;
        stats.finished++;
        expect(computeEnvelope(run.graph, run.book).wildcards).toEqual([]);
        // The state the run went on with is the one its history gives.
        expect(picture(RunState.replay(run.history).graph)).toEqual(picture(run.graph));
      }),
      { numRuns: RUNS, ...fcSeed },
    );
    console.log("restart soundness:", stats);
    expect(stats.finished).toBeGreaterThan(stats.runs / 4);
    expect(stats.restarts).toBeGreaterThan(stats.runs / 2);
    expect(stats.removed).toBeGreaterThan(stats.runs / 10);
    expect(stats.wildcardsBack).toBeGreaterThan(stats.runs / 4);
    expect(stats.keptRunning).toBeGreaterThan(stats.runs / 20);
  });
});

const sorted = ({ reset, removed }: Reach) => ({
  reset: [...reset].sort(),
  removed: [...removed].sort(),
});

describe("a map restarted", () => {
  /** split -> map -> join; map may add M-* nodes between itself and join. */
  const mapRun = (): EventRun =>
    new EventRun({
      nodes: ["split", "map", "join"],
      edges: [
        ["split", "map"],
        ["map", "join"],
      ],
      promises: [
        { scope: "split", nodes: false, edges: false },
        { scope: "join", nodes: false, edges: false },
        {
          scope: "map",
          nodes: { ids: ["M-*"], run: ["m.py"] },
          edges: [
            { from: "$self", to: "$new" },
            { from: "$new", to: "join" },
          ],
        },
      ],
    });

  const mapAdds = (run: EventRun, id: NodeId): void => {
    expect(
      run.apply({ kind: "add_node", source: "map", id, run: "m.py", args: [], params: {} }),
    ).toBe("ok");
    expect(run.apply({ kind: "add_edge", source: "map", from: "map", to: id })).toBe("ok");
    expect(run.apply({ kind: "add_edge", source: "map", from: id, to: "join" })).toBe("ok");
  };

  const runAll = (run: EventRun): void => {
    for (let ready = run.ready(); ready.length > 0; ready = run.ready())
      for (const id of ready) {
        run.start(id);
        run.succeed(id);
      }
  };

  it("shows the map's wildcard again, and its envelope covers the map run anew", () => {
    const run = mapRun();
    run.start("split");
    run.succeed("split");
    run.start("map");
    mapAdds(run, "M-1");
    mapAdds(run, "M-2");
    run.succeed("map");
    runAll(run);
    expect(run.graph.node("join")!.status).toBe("succeeded");
    expect(computeEnvelope(run.graph, run.book).wildcards).toEqual([]);

    expect(sorted(run.restart("map"))).toEqual({ reset: ["join", "map"], removed: ["M-1", "M-2"] });
    const after = computeEnvelope(run.graph, run.book, { expand: true });
    expect(after.nodes.map((n) => [n.id, n.status])).toEqual([
      ["split", "succeeded"],
      ["map", "pending"],
      ["join", "pending"],
    ]);
    expect(after.wildcards).toHaveLength(1);
    expect(after.wildcards[0]).toMatchObject({
      from: "map",
      sources: ["map"],
      rules: { nodes: { ids: [["M-*"]], run: ["m.py"], max: null } },
    });

    run.start("map");
    for (const id of ["M-3", "M-4", "M-5"]) mapAdds(run, id);
    expect(covers(after, run.graph)).toBe(true);
    run.succeed("map");
    runAll(run);
    expect(covers(after, run.graph)).toBe(true);
    expect([...run.graph.nodes()].map((n) => [n.id, n.status])).toEqual([
      ["split", "succeeded"],
      ["map", "succeeded"],
      ["join", "succeeded"],
      ["M-3", "succeeded"],
      ["M-4", "succeeded"],
      ["M-5", "succeeded"],
    ]);
  });

  it("restarted upstream, takes back what the map added and shows the map's wildcard again", () => {
    const run = mapRun();
    run.start("split");
    run.succeed("split");
    run.start("map");
    mapAdds(run, "M-1");
    run.succeed("map");
    runAll(run);
    expect(computeEnvelope(run.graph, run.book).wildcards).toEqual([]);
    expect(sorted(run.restart("split"))).toEqual({
      reset: ["join", "map", "split"],
      removed: ["M-1"],
    });
    const after = computeEnvelope(run.graph, run.book, { expand: true });
    expect(after.wildcards.map((w) => w.sources)).toEqual([["map"]]);
    run.start("split");
    run.succeed("split");
    run.start("map");
    mapAdds(run, "M-2");
    run.succeed("map");
    runAll(run);
    expect(covers(after, run.graph)).toBe(true);
    expect(run.graph.has("M-1")).toBe(false);
  });
});
