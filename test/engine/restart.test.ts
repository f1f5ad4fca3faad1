import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { againProblem, attemptTouches } from "../../src/engine/restart.js";
import { Graph } from "../../src/graph/graph.js";
import type { NodeId } from "../../src/graph/ids.js";
import { restartReach } from "../../src/graph/reach.js";
import type { MutationEvent, RunEvent } from "../../src/state/events.js";
import { RunState, withoutTakenBack } from "../../src/state/run-state.js";

/** A graph from `[id, creator]` pairs (creators first) and `[from, to]` edges. */
const graphOf = (
  nodes: readonly (readonly [NodeId, NodeId | null])[],
  edges: readonly (readonly [NodeId, NodeId])[],
): Graph => {
  const graph = new Graph();
  for (const [id, createdBy] of nodes)
    graph.addNode({ id, run: `${id}.py`, args: [], params: {}, createdBy });
  for (const [from, to] of edges) graph.addEdge(from, to, null);
  return graph;
};

/** Restarting `node` resets exactly `reset` and takes back exactly `removed` (sorted). */
const expectReach = (
  graph: Graph,
  node: NodeId,
  reset: readonly NodeId[],
  removed: readonly NodeId[],
): void => {
  const reach = restartReach(graph, node);
  expect({ reset: [...reach.reset].sort(), removed: [...reach.removed].sort() }).toEqual({
    reset,
    removed,
  });
};

describe("restartReach", () => {
  it("resets a chain from the node on, and nothing upstream", () => {
    const graph = graphOf(
      [
        ["a", null],
        ["b", null],
        ["c", null],
        ["d", null],
      ],
      [
        ["a", "b"],
        ["b", "c"],
        ["c", "d"],
      ],
    );
    expectReach(graph, "b", ["b", "c", "d"], []);
    expectReach(graph, "d", ["d"], []);
  });

  it("takes back a map's children and resets what they lead into, even off the map's own downstream", () => {
    // split -> map -> after; map added M-1 and M-2 feeding join; M-2 also feeds side, fed by other.
    const graph = graphOf(
      [
        ["split", null],
        ["map", null],
        ["after", null],
        ["join", null],
        ["other", null],
        ["side", null],
        ["M-1", "map"],
        ["M-2", "map"],
      ],
      [
        ["split", "map"],
        ["map", "after"],
        ["other", "side"],
        ["M-1", "join"],
        ["M-2", "join"],
        ["M-2", "side"],
      ],
    );
    expectReach(graph, "map", ["after", "join", "map", "side"], ["M-1", "M-2"]);
  });

  it("takes back what was created by nodes created by the node, transitively, and resets their downstream", () => {
    const graph = graphOf(
      [
        ["root", null],
        ["w", null],
        ["A-1", "root"],
        ["B-1", "A-1"],
        ["C-1", "B-1"],
      ],
      [["C-1", "w"]],
    );
    expectReach(graph, "root", ["root", "w"], ["A-1", "B-1", "C-1"]);
    // Restarting a created node resets it (it stays) and takes back only what it created.
    expectReach(graph, "A-1", ["A-1", "w"], ["B-1", "C-1"]);
  });

  it("takes back what a node downstream of the restarted one created", () => {
    const graph = graphOf(
      [
        ["a", null],
        ["b", null],
        ["B-1", "b"],
      ],
      [["a", "b"]],
    );
    expectReach(graph, "a", ["a", "b"], ["B-1"]);
  });
});

/** A random run's graph: node i's creator (if any) and every edge's source come before it. */
const dagArb = fc.integer({ min: 1, max: 12 }).chain((n) =>
  fc.record({
    creators: fc.tuple(
      ...Array.from({ length: n }, (_, i) =>
        i === 0 ? fc.constant(null) : fc.option(fc.nat({ max: i - 1 }), { freq: 2 }),
      ),
    ),
    edges: fc.subarray(
      Array.from({ length: n }, (_, a) =>
        Array.from({ length: n - a - 1 }, (_, k) => [a, a + k + 1] as const),
      ).flat(),
    ),
    node: fc.nat({ max: n - 1 }),
  }),
);

/** The least set holding `node` that holds every descendant and every creation of its members. */
const closure = (graph: Graph, node: NodeId): Set<NodeId> => {
  const reached = new Set<NodeId>([node]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const id of [...reached]) {
      for (const next of [...graph.descendants(id), ...graph.createdBy(id)]) {
        if (!reached.has(next)) {
          reached.add(next);
          grew = true;
        }
      }
    }
  }
  return reached;
};

describe("restartReach on random graphs", () => {
  it("is closed, takes back exactly what the reach created, and touches nothing else", () => {
    fc.assert(
      fc.property(dagArb, ({ creators, edges, node }) => {
        const id = (i: number) => `n${i}`;
        const graph = graphOf(
          creators.map((c, i) => [id(i), c === null ? null : id(c)] as const),
          edges.map(([a, b]) => [id(a), id(b)] as const),
        );
        const { reset, removed } = restartReach(graph, id(node));
        const resetSet = new Set(reset);
        const removedSet = new Set(removed);
        const reached = new Set([...reset, ...removed]);
        expect(reset.length).toBe(resetSet.size);
        expect(removed.length).toBe(removedSet.size);
        expect(reset.filter((r) => removedSet.has(r))).toEqual([]);
        expect(resetSet.has(id(node))).toBe(true);
        for (const r of reached) {
          for (const d of graph.descendants(r)) expect(reached.has(d)).toBe(true);
          for (const child of graph.createdBy(r)) expect(removedSet.has(child)).toBe(true);
        }
        for (const r of removed) expect(reached.has(graph.node(r)!.createdBy!)).toBe(true);
        for (const r of reset) {
          const creator = graph.node(r)!.createdBy;
          expect(creator === null || !reached.has(creator)).toBe(true);
        }
        const upstream = graph.ancestors(id(node));
        for (const u of upstream) {
          const createdInReach = graph.node(u)!.createdBy;
          if (createdInReach === null || !reached.has(createdInReach))
            expect(reached.has(u)).toBe(false);
        }
        expect([...reached].sort()).toEqual([...closure(graph, id(node))].sort());
      }),
      { numRuns: 500 },
    );
  });
});

describe("attemptTouches", () => {
  const reached = new Set(["b", "M-1"]);
  const edge = (from: string, to: string): MutationEvent => ({
    type: "edge_added",
    from,
    to,
    created_by: "x",
  });

  it("is true for an attempt of a node in the reach, whatever it did", () => {
    expect(attemptTouches("b", [], reached)).toBe(true);
  });

  it("is true for an attempt that added an edge from or into a node in the reach", () => {
    expect(attemptTouches("x", [edge("x", "y"), edge("M-1", "y")], reached)).toBe(true);
    expect(attemptTouches("x", [edge("x", "b")], reached)).toBe(true);
  });

  it("is true for an attempt that set attributes on a node or edge in the reach", () => {
    const attrs = { label: "hi" };
    expect(
      attemptTouches("x", [{ type: "attrs_set", node: "b", attrs, created_by: "x" }], reached),
    ).toBe(true);
    expect(
      attemptTouches(
        "x",
        [{ type: "attrs_set", edge: { from: "a", to: "M-1" }, attrs, created_by: "x" }],
        reached,
      ),
    ).toBe(true);
    expect(
      attemptTouches("x", [{ type: "attrs_set", node: "a", attrs, created_by: "x" }], reached),
    ).toBe(false);
  });

  it("is false for an attempt whose nodes and edges stay clear of the reach", () => {
    const added: MutationEvent = {
      type: "node_added",
      id: "X-1",
      run: "x.py",
      args: [],
      params: {},
      created_by: "x",
    };
    expect(attemptTouches("x", [added, edge("x", "X-1"), edge("a", "y")], reached)).toBe(false);
  });
});

const added = (id: NodeId, createdBy: NodeId | null = null): RunEvent => ({
  type: "node_added",
  id,
  run: `${id}.py`,
  args: [],
  params: {},
  created_by: createdBy,
});

const status = (id: NodeId, s: "running" | "succeeded", attempt = 1): RunEvent => ({
  type: "node_status",
  id,
  status: s,
  attempt,
  reason: null,
});

const started = (id: NodeId, attempt = 1): RunEvent => ({
  type: "attempt_started",
  id,
  attempt,
  executor: "local",
  handle: "1",
  log: `${id}.${attempt}.log`,
});

const ended = (id: NodeId, attempt = 1): RunEvent => ({
  type: "attempt_ended",
  id,
  attempt,
  status: "succeeded",
  exit_code: 0,
  signal: null,
  reason: null,
});

/** What `node` does in one successful attempt with no mutations. */
const ranOnce = (id: NodeId): RunEvent[] => [
  status(id, "running"),
  started(id),
  { type: "output", id, values: { n: 1 } },
  ended(id),
  status(id, "succeeded"),
];

describe("withoutTakenBack", () => {
  it("leaves out a reset node's status, output, question and answers, and keeps its attempt's start", () => {
    const before: RunEvent[] = [
      added("a"),
      added("b"),
      { type: "edge_added", from: "a", to: "b", created_by: null },
      ...ranOnce("a"),
      status("b", "running"),
      started("b"),
      { type: "asked", id: "b", attempt: 1, prompt: "ok?", schema: {} },
      { type: "answered", id: "b", value: true },
      { type: "inputs", id: "b", values: { n: 1 } },
      { type: "output", id: "b", values: { done: true } },
      ended("b"),
      status("b", "succeeded"),
    ];
    const after: RunEvent[] = [status("b", "running", 2), started("b", 2)];
    const kept = withoutTakenBack([
      ...before,
      { type: "nodes_reset", reset: ["b"], removed: [] },
      ...after,
    ]);
    expect(kept).toEqual([...before.slice(0, 3 + ranOnce("a").length), started("b"), ...after]);
    const state = RunState.replay([...before, { type: "nodes_reset", reset: ["b"], removed: [] }]);
    expect(state.graph.node("b")).toMatchObject({ status: "pending", attempts: 1 });
    expect(state.outputs.has("b")).toBe(false);
    expect(state.answers.has("b")).toBe(false);
    expect(state.graph.node("a")!.status).toBe("succeeded");
  });

  it("leaves out everything of a removed node, and what a reset node added or promised", () => {
    const kept: RunEvent[] = [added("a"), added("b"), ...ranOnce("a")];
    const takenBack: RunEvent[] = [
      added("M-1", "b"),
      { type: "edge_added", from: "b", to: "M-1", created_by: "b" },
      { type: "edge_added", from: "a", to: "b", created_by: "b" },
      {
        type: "promise_made",
        promise: { scope: "M-1", nodes: false },
        origin: { kind: "message", node: "b", line: 1 },
        made_by: "b",
      },
      { type: "attrs_set", node: "a", attrs: { color: "red" }, created_by: "b" },
      ended("b"),
      status("b", "succeeded"),
      status("M-1", "running"),
      started("M-1"),
      { type: "output", id: "M-1", values: {} },
      { type: "attrs_set", node: "M-1", attrs: { color: "red" }, created_by: "M-1" },
      ended("M-1"),
      status("M-1", "succeeded"),
    ];
    const events = [
      ...kept,
      status("b", "running"),
      started("b"),
      ...takenBack,
      { type: "nodes_reset", reset: ["b"], removed: ["M-1"] } satisfies RunEvent,
    ];
    expect(withoutTakenBack(events)).toEqual([...kept, started("b")]);
    const state = RunState.replay(events);
    expect([...state.graph.nodes()].map((n) => n.id)).toEqual(["a", "b"]);
    expect([...state.graph.edges()]).toEqual([]);
    expect(state.book.all()).toEqual([]);
  });

  it("takes back a loop's next iteration when a later reset resets the loop's target, and only then", () => {
    const loop: RunEvent[] = [
      added("a"),
      added("b"),
      { type: "edge_added", from: "a", to: "b", created_by: null },
      { type: "edge_added", from: "b", to: "a", created_by: null, loop: true, max: 3 },
    ];
    const again: RunEvent = { type: "loop_again", from: "b", to: "a", iteration: 2, outputs: {} };
    const resetsLoop: RunEvent = { type: "nodes_reset", reset: ["a", "b"], removed: [] };
    // The loop going again: its reset comes first, so the iteration stays.
    expect(withoutTakenBack([...loop, resetsLoop, again])).toContainEqual(again);
    expect(RunState.replay([...loop, resetsLoop, again]).loopIteration("b", "a")).toBe(2);
    // A later restart of the loop's target starts it over.
    expect(withoutTakenBack([...loop, resetsLoop, again, resetsLoop])).not.toContainEqual(again);
    expect(RunState.replay([...loop, resetsLoop, again, resetsLoop]).loopIteration("b", "a")).toBe(
      1,
    );
    // A later reset of nodes off the loop's target leaves it.
    const elsewhere: RunEvent = { type: "nodes_reset", reset: ["b"], removed: [] };
    expect(withoutTakenBack([...loop, resetsLoop, again, elsewhere])).toContainEqual(again);
  });
});

describe("againProblem", () => {
  const loopRun = (max: number): RunEvent[] => [
    added("a"),
    added("b"),
    { type: "edge_added", from: "a", to: "b", created_by: null },
    { type: "edge_added", from: "b", to: "a", created_by: null, loop: true, max },
  ];

  it("refuses a node that is the source of no loop edge", () => {
    expect(againProblem(RunState.replay(loopRun(3)), "a")).toBe(
      "it asked to go again, but a is the source of no loop edge",
    );
  });

  it("lets the loop go again until its max, then says which iteration would be over it", () => {
    const events = loopRun(2);
    expect(againProblem(RunState.replay(events), "b")).toBeNull();
    events.push({ type: "loop_again", from: "b", to: "a", iteration: 2, outputs: {} });
    expect(againProblem(RunState.replay(events), "b")).toBe(
      "loop b -> a: going again would start iteration 3, over the loop's max of 2",
    );
  });
});
