import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Graph } from "../../src/graph/graph.js";
import { structuralError } from "../../src/graph/mutations.js";
import { node } from "./node.js";

/** Reference: is `to` reachable from `from` (a plain DFS over the final edge list)? */
const reachable = (edges: [number, number][], from: number, to: number): boolean => {
  const seen = new Set<number>();
  const stack = [from];
  while (stack.length > 0) {
    const current = stack.pop()!;
    if (current === to) return true;
    if (seen.has(current)) continue;
    seen.add(current);
    for (const [a, b] of edges) if (a === current) stack.push(b);
  }
  return false;
};

describe("Graph", () => {
  it("keeps nodes and edges in creation order and tracks who created whom", () => {
    const g = new Graph();
    g.addNode(node("a"));
    g.addNode(node("b", "a"));
    g.addNode(node("c", "b"));
    g.addEdge("a", "b", null);
    g.addEdge("b", "c", "a");
    expect([...g.nodes()].map((n) => [n.id, n.seq])).toEqual([
      ["a", 0],
      ["b", 1],
      ["c", 2],
    ]);
    expect(g.createdBy("a")).toEqual(["b"]);
    expect(g.scope("a").sort()).toEqual(["a", "b", "c"]);
    expect([...g.descendants("a")].sort()).toEqual(["b", "c"]);
    expect([...g.ancestors("c")].sort()).toEqual(["a", "b"]);
  });

  it("refuses an edge that closes a cycle, including a self-loop", () => {
    const g = new Graph();
    for (const id of ["a", "b", "c"]) g.addNode(node(id));
    g.addEdge("a", "b", null);
    g.addEdge("b", "c", null);
    expect(g.wouldCycle("c", "a")).toBe(true);
    expect(g.wouldCycle("a", "a")).toBe(true);
    expect(g.wouldCycle("a", "c")).toBe(false);
    expect(() => g.addEdge("c", "a", null)).toThrow(/cycle/);
  });

  it("detects cycles exactly like a full search, for any sequence of edge insertions", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 12 }),
        fc.array(fc.tuple(fc.nat(11), fc.nat(11)), { maxLength: 60 }),
        (size, candidates) => {
          const g = new Graph();
          for (let i = 0; i < size; i++) g.addNode(node(`n${i}`));
          const edges: [number, number][] = [];
          for (const [rawA, rawB] of candidates) {
            const a = rawA % size;
            const b = rawB % size;
            if (edges.some(([x, y]) => x === a && y === b)) continue;
            const expected = a === b || reachable(edges, b, a);
            expect(g.wouldCycle(`n${a}`, `n${b}`)).toBe(expected);
            if (!expected) {
              g.addEdge(`n${a}`, `n${b}`, null);
              edges.push([a, b]);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("structural checks", () => {
  const graph = () => {
    const g = new Graph();
    g.addNode(node("a"));
    g.addNode(node("b"));
    g.addEdge("a", "b", null);
    return g;
  };

  it("names a duplicate node id", () => {
    expect(
      structuralError(graph(), {
        kind: "add_node",
        source: "a",
        id: "b",
        run: "x.py",
        args: [],
        params: {},
      }),
    ).toBe("node b already exists");
  });

  it("names an unknown node in an edge", () => {
    expect(
      structuralError(graph(), { kind: "add_edge", source: "a", from: "a", to: "zz" }),
    ).toMatch(/unknown node zz/);
  });

  it("refuses an edge into a node that has already started", () => {
    const g = graph();
    g.node("b")!.status = "running";
    g.addNode(node("c"));
    expect(structuralError(g, { kind: "add_edge", source: "a", from: "c", to: "b" })).toMatch(
      /already started \(running\)/,
    );
  });

  it("refuses a duplicate edge and a cycle", () => {
    const g = graph();
    expect(structuralError(g, { kind: "add_edge", source: "a", from: "a", to: "b" })).toMatch(
      /already exists/,
    );
    expect(structuralError(g, { kind: "add_edge", source: "a", from: "b", to: "a" })).toMatch(
      /cycle/,
    );
  });
});

describe("cycle checks on large graphs", () => {
  it("appends a 20,000-node chain with one edge each, without whole-graph walks", () => {
    const g = new Graph();
    g.addNode(node("n0"));
    for (let i = 1; i < 20_000; i++) {
      g.addNode(node(`n${i}`, `n${i - 1}`));
      expect(g.wouldCycle(`n${i - 1}`, `n${i}`)).toBe(false);
      g.addEdge(`n${i - 1}`, `n${i}`, `n${i - 1}`);
    }
    expect(g.wouldCycle("n19999", "n0")).toBe(true);
    expect(g.edgeCount).toBe(19_999);
  });
});

describe("taking back nodes and edges", () => {
  it("removes edges and then nodes, keeping the order valid and seqs unique", () => {
    const g = new Graph();
    for (const id of ["a", "b", "c"])
      g.addNode({ id, run: "t.py", args: [], params: {}, createdBy: id === "a" ? null : "a" });
    g.addEdge("a", "b", "a");
    g.addEdge("b", "c", "a");
    expect(() => g.removeNode("b")).toThrow(/still has edges/);
    g.removeEdge("b", "c");
    g.removeEdge("a", "b");
    g.removeNode("b");
    expect(g.has("b")).toBe(false);
    expect(g.createdBy("a")).toEqual(["c"]);
    expect(g.successors("a").size).toBe(0);
    const d = g.addNode({ id: "d", run: "t.py", args: [], params: {}, createdBy: null });
    expect(new Set([...g.nodes()].map((n) => n.seq)).size).toBe(3);
    expect(d.seq).toBeGreaterThan(g.node("c")!.seq);
    g.addEdge("c", "a", null);
    expect(g.wouldCycle("a", "c")).toBe(true);
    expect(() => g.removeEdge("a", "c")).toThrow(/no edge a -> c/);
  });
});
