import { describe, expect, it } from "vitest";
import { computeEnvelope } from "../../src/envelope/envelope.js";
import { countRange, withHistory } from "../../src/envelope/history.js";
import type { PastRun } from "../../src/store/past-runs.js";
import { BRANCH, MAP, NESTED_MAP } from "./fixtures.js";
import { SimRun } from "./run.js";

/** An earlier run of the random map in which A added `k` instances. */
const mapRun = (k: number): PastRun => {
  const ms = Array.from({ length: k }, (_, i) => `M-${i + 1}`);
  return {
    id: `map-${k}`,
    nodes: [
      { id: "A", run: "a.py", created_by: null },
      { id: "B", run: "b.py", created_by: null },
      ...ms.map((id) => ({ id, run: "m.py", created_by: "A" })),
    ],
    edges: [
      { from: "A", to: "B" },
      ...ms.flatMap((m) => [
        { from: "A", to: m },
        { from: m, to: "B" },
      ]),
    ],
  };
};

describe("countRange", () => {
  it("gives the smallest, the largest and the median (the mean of the middle two for an even count)", () => {
    expect(countRange([3])).toEqual({ min: 3, max: 3, median: 3 });
    expect(countRange([6, 0, 3])).toEqual({ min: 0, max: 6, median: 3 });
    expect(countRange([5, 1, 2, 4])).toEqual({ min: 1, max: 5, median: 3 });
  });
});

describe("history on wildcards", () => {
  it("gives the random map's slot the range and median of the earlier runs' counts", () => {
    const run = new SimRun(MAP);
    const past = [0, 6, 3, 2, 5].map(mapRun);
    const [w] = computeEnvelope(run.graph, run.book, { history: past }).wildcards;
    expect(w?.history).toEqual({ runs: 5, added: { min: 0, max: 6, median: 3 } });
    expect(w?.alternatives?.[0]?.nodes[0]?.history).toEqual({ min: 0, max: 6, median: 3 });
    expect(w?.label).toBe("M-* (m.py) ×0..∞ — last 5 runs: 0–6, median 3");
  });

  it("leaves a wildcard as it is without earlier runs", () => {
    const run = new SimRun(MAP);
    const [plain] = computeEnvelope(run.graph, run.book).wildcards;
    expect(withHistory(plain!, [])).toBe(plain);
    expect(plain?.label).toBe("M-* (m.py) ×0..∞");
  });

  it("counts how many runs ended as each option of the random branch", () => {
    const run = new SimRun(BRANCH);
    const a: PastRun = {
      id: "a",
      nodes: [
        { id: "choose", run: "choose.py", created_by: null },
        { id: "end", run: "end.py", created_by: null },
        { id: "a", run: "a.py", created_by: "choose" },
      ],
      edges: [
        { from: "choose", to: "a" },
        { from: "a", to: "end" },
      ],
    };
    const b: PastRun = {
      id: "b",
      nodes: [
        { id: "choose", run: "choose.py", created_by: null },
        { id: "b1", run: "b.py", created_by: "choose" },
        { id: "b2", run: "b.py", created_by: "choose" },
      ],
      edges: [
        { from: "choose", to: "b1" },
        { from: "b1", to: "b2" },
        { from: "b2", to: "end" },
      ],
    };
    // A run whose `a` lacks its edge into `end` ended as neither option.
    const broken: PastRun = { ...a, id: "broken", edges: [{ from: "choose", to: "a" }] };
    const [w] = computeEnvelope(run.graph, run.book, { history: [a, b, a, broken] }).wildcards;
    expect(w?.alternatives?.map((alt) => alt.history?.runs)).toEqual([2, 1]);
    expect(w?.label).toBe(
      "one of: a (a.py) (option 1: 2 of 4 runs) | b1 (b.py), b2 (b.py) (option 2: 1 of 4 runs)",
    );
  });

  it("counts only what grows at the shape's own level against a nested map's outer slot", () => {
    const run = new SimRun(NESTED_MAP);
    const past = mapRun(2);
    const nested: PastRun = {
      ...past,
      nodes: [...past.nodes, { id: "N-1-1", run: "n.py", created_by: "M-1" }],
      edges: [...past.edges, { from: "M-1", to: "N-1-1" }, { from: "N-1-1", to: "B" }],
    };
    const [w] = computeEnvelope(run.graph, run.book, { history: [nested] }).wildcards;
    expect(w?.history?.added).toEqual({ min: 3, max: 3, median: 3 });
    expect(w?.alternatives?.[0]?.history).toEqual({ runs: 1 });
    expect(w?.alternatives?.[0]?.nodes[0]?.history).toEqual({ min: 2, max: 2, median: 2 });
  });

  it("gives a wildcard without a shape the range of nodes its scope added", () => {
    const run = new SimRun({ nodes: [["A", "a.py"]] });
    const past = [mapRun(1), mapRun(4)];
    const [w] = computeEnvelope(run.graph, run.book, { history: past }).wildcards;
    expect(w?.label).toBe("* — last 2 runs: 1–4, median 2.5");
  });
});
