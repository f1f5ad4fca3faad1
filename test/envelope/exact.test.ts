import { describe, expect, it } from "vitest";
import { covers } from "../../src/envelope/covers.js";
import { computeEnvelope } from "../../src/envelope/envelope.js";
import type { Envelope } from "../../src/envelope/model.js";
import type { Graph } from "../../src/graph/graph.js";
import { BRANCH, MAP, NESTED_MAP, RECURSIVE_SPLIT, STATIC } from "./fixtures.js";
import { SimRun } from "./run.js";

const drawnIds = (env: Envelope): string[] => env.nodes.flatMap((n) => n.members).sort();
const drawnEdges = (env: Envelope): string[] => env.edges.map((e) => `${e.from}->${e.to}`).sort();
const graphIds = (g: Graph): string[] => [...g.nodes()].map((n) => n.id).sort();
const graphEdges = (g: Graph): string[] => [...g.edges()].map((e) => `${e.from}->${e.to}`).sort();

const expectIsGraph = (env: Envelope, g: Graph): void => {
  expect(env.wildcards).toEqual([]);
  expect(drawnIds(env)).toEqual(graphIds(g));
  expect(drawnEdges(env)).toEqual(graphEdges(g));
};

describe("static workflow", () => {
  it("has no wildcard and is its final graph, before, during and after", () => {
    const run = new SimRun(STATIC);
    const before = computeEnvelope(run.graph, run.book, { expand: true });
    expectIsGraph(before, run.graph);
    run.start("start");
    expectIsGraph(computeEnvelope(run.graph, run.book, { expand: true }), run.graph);
    run.succeed("start");
    run.drain();
    expectIsGraph(computeEnvelope(run.graph, run.book), run.graph);
    expect(covers(before, run.graph)).toBe(true);
  });
});

describe("random branch", () => {
  it("is exactly its two alternatives before the run", () => {
    const run = new SimRun(BRANCH);
    const env = computeEnvelope(run.graph, run.book);
    expect(drawnIds(env)).toEqual(["choose", "end", "start"]);
    expect(env.wildcards).toHaveLength(1);
    const [w] = env.wildcards;
    expect(w).toMatchObject({
      from: "choose",
      scope: "choose",
      sources: ["choose"],
      may_precede: ["end"],
    });
    expect(w!.label).toBe("one of: a (a.py) | b1 (b.py), b2 (b.py)");
    expect(w!.alternatives).toEqual([
      {
        index: 0,
        nodes: [{ id: "a", run: "a.py", count: "1", instances: [], min: 1, max: 1 }],
        edges: [
          { from: { node: "choose" }, to: { slot: 0 }, missing: [] },
          { from: { slot: 0 }, to: { node: "end" }, missing: [] },
        ],
      },
      {
        index: 1,
        nodes: [
          { id: "b1", run: "b.py", count: "1", instances: [], min: 1, max: 1 },
          { id: "b2", run: "b.py", count: "1", instances: [], min: 1, max: 1 },
        ],
        edges: [
          { from: { node: "choose" }, to: { slot: 0 }, missing: [] },
          { from: { slot: 0 }, to: { slot: 1 }, missing: [] },
          { from: { slot: 1 }, to: { node: "end" }, missing: [] },
        ],
      },
    ]);
  });

  it("covers both outcomes and nothing else", () => {
    const outcome = (pick: "a" | "b" | "c" | "a-unlinked") => {
      const run = new SimRun(BRANCH);
      const env = computeEnvelope(run.graph, run.book);
      run.run("start");
      run.start("choose");
      if (pick === "a") {
        run.addNode("choose", "a", "a.py");
        run.addEdge("choose", "choose", "a");
        run.addEdge("choose", "a", "end");
      } else if (pick === "b") {
        run.addNode("choose", "b1", "b.py");
        run.addNode("choose", "b2", "b.py");
        run.addEdge("choose", "choose", "b1");
        run.addEdge("choose", "b1", "b2");
        run.addEdge("choose", "b2", "end");
      } else {
        // Runs the promise forbids, built behind the book's back.
        const id = pick === "c" ? "c" : "a";
        run.graph.addNode({ id, run: "a.py", args: [], params: {}, createdBy: "choose" });
        run.graph.addEdge("choose", id, "choose");
      }
      run.succeed("choose");
      run.drain();
      if (pick === "c" || pick === "a-unlinked") {
        for (const node of run.graph.nodes()) node.status = "succeeded";
      }
      return { env, run };
    };
    for (const pick of ["a", "b"] as const) {
      const { env, run } = outcome(pick);
      expect(run.broken).toBeNull();
      expect(covers(env, run.graph)).toBe(true);
      expectIsGraph(computeEnvelope(run.graph, run.book), run.graph);
    }
    const stray = outcome("c");
    expect(covers(stray.env, stray.run.graph)).toMatch(
      /node c \(a.py\) is not what wildcard \*choose may add/,
    );
    const unlinked = outcome("a-unlinked");
    expect(covers(unlinked.env, unlinked.run.graph)).toMatch(
      /none of its alternatives.*edge a -> end is missing/,
    );
  });

  it("narrows to the chosen alternative while choose runs", () => {
    const run = new SimRun(BRANCH);
    run.run("start");
    run.start("choose");
    run.addNode("choose", "b1", "b.py");
    const env = computeEnvelope(run.graph, run.book);
    const [w] = env.wildcards;
    expect(w!.alternatives!.map((a) => a.index)).toEqual([1]);
    expect(w!.label).toBe("b2 (b.py)");
    expect(env.nodes.find((n) => n.id === "b1")).toMatchObject({
      provisional: true,
      status: "pending",
    });
  });
});

describe("random map", () => {
  it("is A -> M ×0..∞ -> B before the run", () => {
    const run = new SimRun(MAP);
    const env = computeEnvelope(run.graph, run.book);
    expect(drawnIds(env)).toEqual(["A", "B"]);
    expect(env.wildcards).toHaveLength(1);
    const [w] = env.wildcards;
    expect(w).toMatchObject({ from: "A", label: "M-* (m.py) ×0..∞", may_precede: ["B"] });
    expect(w!.alternatives).toEqual([
      {
        index: 0,
        nodes: [{ id: "M-*", run: "m.py", count: "*", instances: [], min: 0, max: null }],
        edges: [
          { from: { node: "A" }, to: { slot: 0 }, missing: [] },
          { from: { slot: 0 }, to: { node: "B" }, missing: [] },
        ],
      },
    ]);
  });

  it("keeps one wildcard on A for A's whole scope, its pending members included", () => {
    const run = new SimRun(MAP);
    run.start("A");
    run.addNode("A", "M-1");
    run.addEdge("A", "A", "M-1");
    const env = computeEnvelope(run.graph, run.book, { expand: true });
    expect(env.wildcards).toHaveLength(1);
    const [w] = env.wildcards;
    expect(w).toMatchObject({ from: "A", sources: ["A", "M-1"], may_precede: ["B"] });
    expect(w!.alternatives![0]!.edges[1]!.missing).toEqual([["M-1", "B"]]);
    run.addEdge("A", "M-1", "B");
    run.succeed("A");
    const after = computeEnvelope(run.graph, run.book);
    expect(after.wildcards.map((x) => x.sources)).toEqual([["M-1"]]);
    run.drain();
    expect(run.broken).toBeNull();
    expect(covers(env, run.graph)).toBe(true);
    expectIsGraph(computeEnvelope(run.graph, run.book, { expand: true }), run.graph);
  });
});

describe("unconstrained dynamic node", () => {
  it("shows * reaching every not-yet-started node that is not its ancestor", () => {
    const run = new SimRun({
      nodes: ["root", "up", "X", "down", "side"],
      edges: [
        ["root", "up"],
        ["up", "X"],
        ["X", "down"],
      ],
      promises: [
        { scope: "root", nodes: false, edges: false },
        { scope: "up", nodes: false, edges: false },
        { scope: "down", nodes: false, edges: false },
        { scope: "side", nodes: false, edges: false },
      ],
    });
    const pre = computeEnvelope(run.graph, run.book);
    expect(pre.wildcards).toHaveLength(1);
    expect(pre.wildcards[0]).toMatchObject({
      from: "X",
      label: "*",
      may_precede_any: true,
      may_precede: [],
    });
    run.run("root");
    run.run("side");
    run.run("up");
    run.start("X");
    const during = computeEnvelope(run.graph, run.book);
    expect(during.wildcards[0]).toMatchObject({ from: "X", label: "*", may_precede_any: true });
  });

  it("gives every node of a workflow without promises its own * by rule, and one note", () => {
    const run = new SimRun({ nodes: ["p", "q"], edges: [["p", "q"]] });
    const env = computeEnvelope(run.graph, run.book);
    expect(env.wildcards.map((w) => [w.from, w.label, w.may_precede_any, w.may_precede])).toEqual([
      ["p", "*", true, []],
      ["q", "*", true, []],
    ]);
    expect(env.note).toMatch(/^No promises: any task may add any node/);
    run.promise("p", { scope: "q", nodes: false, edges: false });
    expect(computeEnvelope(run.graph, run.book).note).toBeNull();
  });
});

describe("finished run", () => {
  it("is its final graph with no wildcard", () => {
    const run = new SimRun(MAP);
    run.start("A");
    for (const i of [1, 2, 3]) {
      run.addNode("A", `M-${i}`);
      run.addEdge("A", "A", `M-${i}`);
      run.addEdge("A", `M-${i}`, "B");
    }
    run.succeed("A");
    run.drain();
    expect(run.broken).toBeNull();
    expectIsGraph(computeEnvelope(run.graph, run.book, { expand: true }), run.graph);
    const stacked = computeEnvelope(run.graph, run.book);
    expect(stacked.wildcards).toEqual([]);
    expect(stacked.nodes.map((n) => [n.id, n.count])).toEqual([
      ["A", 1],
      ["B", 1],
      ["M-1", 3],
    ]);
  });
});

describe("combined rules", () => {
  it("intersects every effective promise and subtracts what was added", () => {
    const run = new SimRun({
      nodes: [["A", "a.py"]],
      promises: [
        { scope: "A", nodes: { ids: ["M-*"], run: ["m.py"], max: 3 } },
        { scope: "*", nodes: { run: ["m.py", "x.py"] } },
      ],
    });
    run.start("A");
    expect(run.addNode("A", "M-1")).toBe("ok");
    const [w] = computeEnvelope(run.graph, run.book).wildcards;
    expect(w!.label).toBe("M-* (m.py) ≤2");
    expect(w!.rules.nodes).toEqual({ ids: [["M-*"]], run: ["m.py"], max: 2 });
  });

  it("says what edges may be added", () => {
    const run = new SimRun({
      nodes: ["A", "B", "C"],
      promises: [
        { scope: "A", nodes: false, edges: [{ from: "$self", to: "*" }], no_edges_to: ["C"] },
        { scope: "B", nodes: false, edges: false },
        { scope: "C", nodes: false, edges: false },
      ],
    });
    const [w] = computeEnvelope(run.graph, run.book).wildcards;
    expect(w).toMatchObject({ from: "A", may_precede: ["B"] });
    expect(w!.label).toBe("no new nodes\nedges: $self → *\nno edges into C");
  });

  it("draws no wildcard for a node whose promises allow nothing", () => {
    const run = new SimRun({
      nodes: ["A"],
      promises: [{ scope: "A", nodes: { max: 0 }, edges: false }],
    });
    expect(computeEnvelope(run.graph, run.book).wildcards).toEqual([]);
  });
});

describe("nested and recursive shapes", () => {
  it("draws the nested map two levels deep before the run", () => {
    const run = new SimRun(NESTED_MAP);
    const env = computeEnvelope(run.graph, run.book);
    expect(env.wildcards).toHaveLength(1);
    const [w] = env.wildcards;
    // What each M-i grows may lead anywhere its inner shape allows: said by rule.
    expect(w).toMatchObject({ from: "A", may_precede_any: true });
    expect(w!.label).toBe("M-* (m.py) ×0..∞, each adds N-* (n.py) ×0..∞");
    expect(w!.alternatives![0]!.nodes[0]!.grows).toEqual({
      ref: null,
      one_of: [
        {
          nodes: [{ id: "N-*", run: "n.py", count: "*", grows_ref: null }],
          edges: [
            { from: "$self", to: "N-*" },
            { from: "N-*", to: "B" },
          ],
        },
      ],
    });
  });

  it("gives each M instance its own wildcard bounded by the inner shape once it exists", () => {
    const run = new SimRun(NESTED_MAP);
    run.start("A");
    run.addNode("A", "M-1", "m.py");
    run.addEdge("A", "A", "M-1");
    run.addEdge("A", "M-1", "B");
    run.succeed("A");
    const env = computeEnvelope(run.graph, run.book);
    const inner = env.wildcards.find((w) => w.from === "M-1");
    expect(inner).toMatchObject({ scope: "M-1", label: "N-* (n.py) ×0..∞", may_precede: ["B"] });
    expect(inner!.alternatives![0]!.edges.map((e) => [e.from, e.to])).toEqual([
      [{ node: "M-1" }, { slot: 0 }],
      [{ slot: 0 }, { node: "B" }],
    ]);
  });

  it("draws the recursive split in closed form: one level, naming its shape, not unrolled", () => {
    const run = new SimRun(RECURSIVE_SPLIT);
    const env = computeEnvelope(run.graph, run.book);
    expect(env.wildcards).toHaveLength(1);
    expect(env.wildcards[0]!.label).toBe(
      'one of: nothing more | *-l (split.py), each adds one of: nothing | *-l (split.py), each again shape "split" + *-r (split.py), each again shape "split" (shape "split"), *-r (split.py), each adds one of: nothing | *-l (split.py), each again shape "split" + *-r (split.py), each again shape "split" (shape "split")',
    );
    expect(env.wildcards[0]!.alternatives!.map((a) => a.nodes.map((s) => s.grows?.ref))).toEqual([
      [],
      ["split", "split"],
    ]);
  });

  it("the envelopes drawn along a nested run cover every later graph", () => {
    const run = new SimRun(NESTED_MAP);
    const drawn = [computeEnvelope(run.graph, run.book)];
    run.start("A");
    for (const m of ["M-1", "M-2"]) {
      run.addNode("A", m, "m.py");
      run.addEdge("A", "A", m);
      run.addEdge("A", m, "B");
    }
    run.succeed("A");
    drawn.push(computeEnvelope(run.graph, run.book));
    run.start("M-1");
    run.addNode("M-1", "N-1", "n.py");
    run.addEdge("M-1", "M-1", "N-1");
    run.addEdge("M-1", "N-1", "B");
    run.succeed("M-1");
    drawn.push(computeEnvelope(run.graph, run.book));
    run.drain();
    expect(run.broken).toBeNull();
    for (const env of drawn) expect(covers(env, run.graph)).toBe(true);
  });

  it("counts what an instance of a slot that does not grow adds into the outer shape", () => {
    // X-1 fills the X-* slot and has no shape of its own: the M-* it adds fills the outer M-* slot.
    const run = new SimRun({
      nodes: ["A"],
      shapes: { leaf: { one_of: [{ nodes: [], edges: [] }] } },
      promises: [
        {
          scope: "A",
          shape: {
            one_of: [
              {
                nodes: [
                  { id: "M-*", run: "m.py", count: "1", promises: [{ shape: { ref: "leaf" } }] },
                  { id: "X-*", run: "x.py", count: "?" },
                ],
                edges: [],
              },
            ],
          },
        },
      ],
    });
    const before = computeEnvelope(run.graph, run.book);
    run.start("A");
    expect(run.addNode("A", "X-1", "x.py")).toBe("ok");
    run.succeed("A");
    run.start("X-1");
    expect(run.addNode("X-1", "M-1", "m.py")).toBe("ok");
    run.succeed("X-1");
    run.drain();
    expect(run.broken).toBeNull();
    expect(covers(before, run.graph)).toBe(true);
  });
});
