import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Graph } from "../../src/graph/graph.js";
import { loopError, structuralError } from "../../src/graph/mutations.js";
import type { RunEvent } from "../../src/state/events.js";
import { RunState } from "../../src/state/run-state.js";
import { node } from "./node.js";

/** a -> b -> d, a -> c -> d, d -> e, and x off to the side of b. */
const diamond = (): Graph => {
  const g = new Graph();
  for (const id of ["a", "b", "c", "d", "e", "x"]) g.addNode(node(id));
  for (const [from, to] of [
    ["a", "b"],
    ["a", "c"],
    ["b", "d"],
    ["c", "d"],
    ["d", "e"],
    ["b", "x"],
  ] as const)
    g.addEdge(from, to, null);
  return g;
};

describe("loop edges in the graph", () => {
  it("a loop's body is every node on an ordinary path from its target to its source", () => {
    const g = diamond();
    expect([...g.loopBody("d", "a")].sort()).toEqual(["a", "b", "c", "d"]);
    expect([...g.loopBody("d", "b")].sort()).toEqual(["b", "d"]);
    expect([...g.loopBody("e", "e")]).toEqual(["e"]);
  });

  it("a loop edge must run back along ordinary edges, once per source, and orders nothing", () => {
    const g = diamond();
    expect(loopError(g, "d", "a")).toBeNull();
    expect(loopError(g, "a", "d")).toBe(
      "loop edge a -> d closes no cycle: d does not reach a through ordinary edges",
    );
    expect(loopError(g, "x", "c")).toContain("closes no cycle");
    g.addLoop("d", "a", 5, null);
    expect(loopError(g, "d", "a")).toBe("loop edge d -> a already exists");
    expect(loopError(g, "d", "b")).toContain("d already has loop edge d -> a");
    // The loop edge is no ordinary edge: a is still a source, d still after b and c.
    expect(g.predecessors("a").size).toBe(0);
    expect(g.successors("d")).toEqual(new Set(["e"]));
    // Pointing into a node that has started is fine for a loop edge, not for an ordinary one.
    g.node("b")!.status = "succeeded";
    expect(
      structuralError(g, { kind: "add_edge", source: "x", from: "x", to: "c", loop: { max: 2 } }),
    ).toContain("closes no cycle");
    expect(
      structuralError(g, { kind: "add_edge", source: "e", from: "e", to: "b", loop: { max: 2 } }),
    ).toBeNull();
    expect(g.loopFrom("d")).toMatchObject({ from: "d", to: "a", max: 5 });
  });

  it("the body is exactly the nodes reachable from the target that reach the source", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 9 }),
        fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 25 }),
        fc.nat(),
        fc.nat(),
        (n, pairs, x, y) => {
          const g = new Graph();
          for (let i = 0; i < n; i++) g.addNode(node(`n${i}`));
          const edges: [number, number][] = [];
          for (const [p, q] of pairs) {
            // Edges only forward, so the graph stays a DAG.
            const [a, b] = [p % n, q % n].sort((u, v) => u - v) as [number, number];
            if (a === b || g.edge(`n${a}`, `n${b}`)) continue;
            g.addEdge(`n${a}`, `n${b}`, null);
            edges.push([a, b]);
          }
          const [to, from] = [x % n, y % n].sort((u, v) => u - v) as [number, number];
          const reach = (s: number, t: number): boolean =>
            s === t || edges.some(([a, b]) => a === s && reach(b, t));
          const expected = [...Array(n).keys()]
            .filter((i) => reach(to, i) && reach(i, from))
            .map((i) => `n${i}`)
            .sort();
          const closes = reach(to, from);
          expect(loopError(g, `n${from}`, `n${to}`) === null).toBe(closes);
          if (closes) expect([...g.loopBody(`n${from}`, `n${to}`)].sort()).toEqual(expected);
        },
      ),
    );
  });
});

describe("iterations", () => {
  const added = (id: string, createdBy: string | null = null): RunEvent => ({
    type: "node_added",
    id,
    run: "t.py",
    args: [],
    params: {},
    created_by: createdBy,
  });
  const edge = (from: string, to: string, loop?: number): RunEvent => ({
    type: "edge_added",
    from,
    to,
    created_by: null,
    ...(loop === undefined ? {} : { loop: true, max: loop }),
  });

  it("a node runs in the iteration of the innermost loop holding it or its creator", () => {
    // outer: a -> b -> c -> d with d -> a; inner: b -> c with c -> b; m added by b; z outside.
    const state = RunState.replay([
      ...["a", "b", "c", "d", "z"].map((id) => added(id)),
      added("m", "b"),
      edge("a", "b"),
      edge("b", "c"),
      edge("c", "d"),
      edge("d", "z"),
      edge("d", "a", 5),
      edge("c", "b", 5),
      { type: "loop_again", from: "d", to: "a", iteration: 3, outputs: {} },
      { type: "loop_again", from: "c", to: "b", iteration: 2, outputs: { x: 1 } },
    ]);
    expect(state.iterationOf("a")).toBe(3);
    expect(state.iterationOf("d")).toBe(3);
    expect(state.iterationOf("b")).toBe(2);
    expect(state.iterationOf("m")).toBe(2);
    expect(state.iterationOf("z")).toBeNull();
    expect(state.carried.get("c")).toEqual({ x: 1 });
  });

  it("an iteration of the outer loop starts the inner one over", () => {
    const state = RunState.replay([
      ...["a", "b"].map((id) => added(id)),
      edge("a", "b"),
      edge("b", "a", 5),
      edge("a", "a", 5),
      { type: "loop_again", from: "a", to: "a", iteration: 4, outputs: {} },
      { type: "nodes_reset", reset: ["a", "b"], removed: [] },
      { type: "loop_again", from: "b", to: "a", iteration: 2, outputs: {} },
    ]);
    expect(state.loopIteration("b", "a")).toBe(2);
    expect(state.loopIteration("a", "a")).toBe(1);
  });
});
