import fc from "fast-check";
import picomatch from "picomatch";
import { describe, expect, it } from "vitest";
import { Graph, type GraphNode, isSettled } from "../../src/graph/graph.js";
import { type Mutation, structuralError } from "../../src/graph/mutations.js";
import { PromiseBook } from "../../src/promises/book.js";
import { PromiseSchema } from "../../src/promises/schema.js";
import type { PromiseRecord, Violation } from "../../src/promises/types.js";
import { validatePromise } from "../../src/promises/validate.js";
import { brokenRules, inScope, scopeComplete, scopeFailed, shapeHolds } from "./oracle.js";

/**
 * Random workflows, promises and task events fed through a harness that does
 * what the engine does, checked against the brute-force oracle.
 *
 * Templates are generated with non-overlapping slots (no added id and script
 * fit two slots of one template): there greedy first-fit assignment and the
 * oracle's search over all assignments agree. With overlapping globs they do
 * not, and greedy assignment is the contract (docs/promises.md).
 */

const FILE_NODES = ["F0", "F1", "F2"];
const ADDED_IDS = ["a", "b", "c.d", "e:f", "M-1", "M-2", "M-3", "M-4"];
const SCRIPTS = ["m.py", "x.py"];
const GLOBS = ["*", "M-*", "M-[12]", "M-[!1]", "a", "b", "c.*", "*:f", "?", "F*", "F0", "{a,b}"];

const glob = fc.constantFrom(...GLOBS);
const scriptArb = fc.constantFrom(...SCRIPTS);
const endpoint = fc.oneof(glob, fc.constantFrom("$self", "$new"));

const overlaps = (a: { id: string; run: string }, b: { id: string; run: string }): boolean =>
  a.id === b.id ||
  (a.run === b.run &&
    ADDED_IDS.some(
      (id) =>
        picomatch.isMatch(id, a.id, { dot: true, posix: true }) &&
        picomatch.isMatch(id, b.id, { dot: true, posix: true }),
    ));

const slotArb = fc.record({ id: glob, run: scriptArb, count: fc.constantFrom("1", "?", "*", "+") });

const randomTemplate = fc
  .record({
    slots: fc.array(slotArb, { maxLength: 3 }),
    edges: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 4 }),
  })
  .map(({ slots, edges }) => {
    const kept = slots.filter((s, i) => !slots.slice(0, i).some((t) => overlaps(s, t)));
    const names = [...kept.map((s) => s.id), ...FILE_NODES];
    const pairs = edges
      .map(([f, t]) => ({ from: names[f % names.length]!, to: names[t % names.length]! }))
      .filter((e) => e.from !== e.to);
    return { nodes: kept, edges: pairs };
  });

/** The seed map, on F0 into F1, with any count, so that accepting runs are common. */
const mapTemplate = fc.constantFrom("1", "?", "*", "+").map((count) => ({
  nodes: [{ id: "M-*", run: "m.py", count }],
  edges: [
    { from: "F0", to: "M-*" },
    { from: "M-*", to: "F1" },
  ],
}));

/** The seed branch on F0 into F1: either `a`, or `M-1 -> M-2`. */
const branchTemplates = fc.constantFrom([
  {
    nodes: [{ id: "a", run: "x.py", count: "1" }],
    edges: [
      { from: "F0", to: "a" },
      { from: "a", to: "F1" },
    ],
  },
  {
    nodes: [
      { id: "M-1", run: "m.py", count: "1" },
      { id: "M-2", run: "m.py", count: "1" },
    ],
    edges: [
      { from: "F0", to: "M-1" },
      { from: "M-1", to: "M-2" },
      { from: "M-2", to: "F1" },
    ],
  },
]);

const shapeArb = fc.oneof(
  fc.record({
    one_of: fc.array(
      fc.oneof({ weight: 2, arbitrary: randomTemplate }, { weight: 3, arbitrary: mapTemplate }),
      { minLength: 1, maxLength: 2 },
    ),
  }),
  fc.record({ one_of: branchTemplates }),
);

const nodesRuleArb = fc.oneof(
  fc.constant(false as const),
  fc.record({ max: fc.nat(4) }),
  fc.record({ ids: fc.array(glob, { minLength: 1, maxLength: 3 }) }),
  fc.record({ run: fc.array(fc.constantFrom("m.py", "./x.py"), { minLength: 1, maxLength: 2 }) }),
  fc.record(
    {
      ids: fc.array(glob, { minLength: 1, maxLength: 3 }),
      run: fc.array(fc.constantFrom("m.py", "./x.py"), { minLength: 1, maxLength: 2 }),
      max: fc.nat(4),
    },
    { requiredKeys: [] },
  ),
);

const edgesRuleArb = fc.oneof(
  fc.constant(false as const),
  fc.array(fc.record({ from: endpoint, to: endpoint }), { maxLength: 3 }),
);

/** Mostly one rule per promise, so that each rule gets exercised on its own. */
const rulesArb = fc.oneof(
  fc.record({ nodes: nodesRuleArb }),
  fc.record({ edges: edgesRuleArb }),
  fc.record({ no_edges_from: fc.array(glob, { minLength: 1, maxLength: 2 }) }),
  fc.record({ no_edges_to: fc.array(glob, { minLength: 1, maxLength: 2 }) }),
  fc.record({ shape: shapeArb }),
  fc
    .record(
      {
        nodes: nodesRuleArb,
        edges: edgesRuleArb,
        no_edges_from: fc.array(glob, { minLength: 1, maxLength: 2 }),
        no_edges_to: fc.array(glob, { minLength: 1, maxLength: 2 }),
        shape: shapeArb,
      },
      { requiredKeys: [] },
    )
    .filter((rules) => Object.keys(rules).length > 0),
);

const filePromiseArb = fc.record({
  scope: fc.constantFrom("*", "*", "F0", "F0", "F1", "F2"),
  rules: rulesArb,
});

/** Shape promises only, mostly on F0: the runs that get deep into slot assignment. */
const shapePromiseArb = fc.record({
  scope: fc.constantFrom("F0", "F0", "F0", "*", "F1"),
  rules: fc.record({ shape: shapeArb }),
});

/** Rules as JSON, before the schema fills in defaults. */
type RawRules = object;

type Step =
  | { op: "start"; pick: number }
  | { op: "finish"; pick: number; fail: boolean }
  | { op: "node"; pick: number; id: string; run: string }
  | { op: "edge"; pick: number; from: number; to: number }
  | { op: "near"; pick: number; x: number; y: number; mode: number }
  | { op: "promise"; pick: number; scope: number; rules: RawRules };

const stepsOf = (id: fc.Arbitrary<string>, run: fc.Arbitrary<string>): fc.Arbitrary<Step> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.record({ op: fc.constant("start" as const), pick: fc.nat() }) },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant("finish" as const),
        pick: fc.nat(),
        fail: fc.nat(3).map((n) => n === 0),
      }),
    },
    {
      weight: 5,
      arbitrary: fc.record({
        op: fc.constant("node" as const),
        pick: fc.nat(),
        id,
        run,
      }),
    },
    {
      weight: 5,
      arbitrary: fc.record({
        op: fc.constant("edge" as const),
        pick: fc.nat(),
        from: fc.nat(),
        to: fc.nat(),
      }),
    },
    {
      weight: 4,
      arbitrary: fc.record({
        op: fc.constant("near" as const),
        pick: fc.nat(),
        x: fc.nat(),
        y: fc.nat(),
        mode: fc.nat(2),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant("promise" as const),
        pick: fc.nat(),
        scope: fc.nat(),
        rules: rulesArb,
      }),
    },
  );

/** Any id and script, uniformly. */
const anySteps = stepsOf(fc.constantFrom(...ADDED_IDS), fc.constantFrom("m.py", "./m.py", "x.py"));

/** Mostly `M-*` ids running `m.py`: what the map and branch templates expect. */
const mapSteps = stepsOf(
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom("M-1", "M-2", "M-3", "M-4") },
    fc.constantFrom(...ADDED_IDS),
  ),
  fc.oneof({ weight: 4, arbitrary: fc.constantFrom("m.py", "./m.py") }, fc.constant("x.py")),
);

const scenarioOf = (promise: typeof filePromiseArb, step: fc.Arbitrary<Step>) =>
  fc.record({
    fileEdges: fc.subarray([
      ["F0", "F1"],
      ["F0", "F2"],
      ["F1", "F2"],
    ] as const),
    promises: fc.array(promise, { maxLength: 3 }),
    steps: fc.array(step, { maxLength: 80 }),
  });

type Scenario = ReturnType<typeof scenarioOf> extends fc.Arbitrary<infer T> ? T : never;

/** Why the run stopped: the violation and what the engine was doing. */
type Stop =
  | { kind: "mutation"; violation: Violation; mutation: Mutation }
  | { kind: "make"; violation: Violation }
  | { kind: "settle"; violations: Violation[] };

interface Outcome {
  graph: Graph;
  book: PromiseBook;
  inForce: PromiseRecord[];
  stop: Stop | null;
  /** Graph states and book answers that must match if `check` changed nothing. */
  checkedTwice: number;
}

const parse = (scope: string, rules: RawRules) => {
  const { scope: parsedScope, ...parsed } = PromiseSchema.parse({ scope, ...rules });
  return { scope: parsedScope, rules: parsed };
};

const snapshot = (book: PromiseBook) => JSON.stringify(book.all().map((p) => book.progress(p.id)));

const pick = <T>(items: readonly T[], n: number): T | undefined =>
  items.length === 0 ? undefined : items[n % items.length];

/** What the engine does, one step at a time, stopping at the first broken promise. */
const runScenario = (s: Scenario): Outcome => {
  const graph = new Graph();
  const book = new PromiseBook(graph);
  const inForce: PromiseRecord[] = [];
  let checkedTwice = 0;
  for (const id of FILE_NODES) {
    graph.addNode({ id, run: "t.py", args: [], params: {}, createdBy: null });
    book.registerNode(id);
  }
  for (const [from, to] of s.fileEdges) graph.addEdge(from, to, null);
  const valid = (scope: string, rules: RawRules) =>
    validatePromise(PromiseSchema.parse({ scope, ...rules }), {
      path: "p",
      nodeExists: (id) => graph.has(id),
      allowSelf: false,
    }).length === 0;
  const make = (scope: string, rules: RawRules, madeBy: string | null): Stop | null => {
    if (!valid(scope, rules)) return null;
    const parsed = parse(scope, rules);
    const violation = book.make({
      ...parsed,
      origin:
        madeBy === null
          ? { kind: "file", file: "w.json", path: "p" }
          : { kind: "message", node: madeBy, line: 1 },
      madeBy,
    });
    if (violation) return { kind: "make", violation };
    const made = book.all().at(-1)!;
    expect(shapeHolds(graph, made, "strong"), JSON.stringify(made)).toBe(true);
    inForce.push(made);
    return null;
  };
  for (const p of s.promises) {
    const stop = make(p.scope, p.rules, null);
    if (stop) return { graph, book, inForce, stop, checkedTwice };
  }
  // The first file node starts at once, so most steps have a source.
  graph.node("F0")!.status = "running";
  const nodes = (): GraphNode[] => [...graph.nodes()];
  const running = () => nodes().filter((n) => n.status === "running");
  for (const step of s.steps) {
    let stop: Stop | null = null;
    if (step.op === "start") {
      const ready = nodes().filter(
        (n) =>
          n.status === "pending" &&
          [...graph.predecessors(n.id)].every((p) => isSettled(graph.node(p)!.status)),
      );
      const node = pick(ready, step.pick);
      if (node) node.status = "running";
    } else if (step.op === "finish") {
      const node = pick(running(), step.pick);
      if (!node) continue;
      node.status = step.fail ? "failed" : "succeeded";
      const violations = book.settle(node.id);
      if (violations.length > 0) stop = { kind: "settle", violations };
    } else if (step.op === "promise") {
      const source = pick(running(), step.pick);
      if (!source) continue;
      const scopes = ["$self", "*", ...nodes().map((n) => n.id)];
      const scope = pick(scopes, step.scope)!;
      stop = make(scope === "$self" ? source.id : scope, step.rules, source.id);
    } else {
      const source = pick(running(), step.pick);
      if (!source) continue;
      const m = mutationOf(step, source.id, nodes());
      if (!m) continue;
      // A structural error fails the task before the promise matters; skip it.
      if (structuralError(graph, m) !== null) continue;
      const before = snapshot(book);
      const violation = book.check(m);
      expect(book.check(m)).toEqual(violation);
      expect(snapshot(book)).toBe(before);
      checkedTwice++;
      if (violation) {
        stop = { kind: "mutation", violation, mutation: m };
      } else {
        if (m.kind === "add_node") graph.addNode({ ...m, createdBy: m.source, provisional: true });
        else graph.addEdge(m.from, m.to, m.source, true);
        book.record(m);
        // The book checked every shape promise the source is bound by, against node states now.
        for (const p of inForce) {
          if (inScope(graph, p.scope, m.source)) {
            expect(
              shapeHolds(graph, p, "strong"),
              `after ${JSON.stringify(m)}: ${JSON.stringify(p)}`,
            ).toBe(true);
          }
        }
      }
    }
    if (stop) return { graph, book, inForce, stop, checkedTwice };
  }
  return { graph, book, inForce, stop: null, checkedTwice };
};

/** The mutation a step stands for; `near` connects added nodes to F0, F1 or each other. */
const mutationOf = (
  step: Extract<Step, { op: "node" | "edge" | "near" }>,
  source: string,
  all: readonly GraphNode[],
): Mutation | null => {
  if (step.op === "node")
    return { kind: "add_node", source, id: step.id, run: step.run, args: [], params: {} };
  if (step.op === "edge") {
    return { kind: "add_edge", source, from: pick(all, step.from)!.id, to: pick(all, step.to)!.id };
  }
  const added = all.filter((n) => n.createdBy !== null);
  const x = pick(added, step.x)?.id;
  const y = pick(added, step.y)?.id;
  if (x === undefined || y === undefined) return null;
  const [from, to] = step.mode === 0 ? ["F0", x] : step.mode === 1 ? [x, "F1"] : [x, y];
  return { kind: "add_edge", source, from, to };
};

/** Applies a refused mutation to the graph so the oracle can judge it. */
const applyAnyway = (graph: Graph, m: Mutation) => {
  if (m.kind === "add_node") graph.addNode({ ...m, createdBy: m.source });
  else graph.addEdge(m.from, m.to, m.source);
};

const brokenPerOracle = (graph: Graph, v: Violation): boolean => {
  if (v.rule !== "shape") return brokenRules(graph, v.promise).includes(v.rule);
  const p = v.promise;
  if (!shapeHolds(graph, p, "strong")) return true;
  return (
    scopeComplete(graph, p.scope) && !scopeFailed(graph, p.scope) && !shapeHolds(graph, p, "exact")
  );
};

/** Property (1): what the book accepted keeps every promise in force. */
const assertAcceptedStateHolds = (o: Outcome, skip: PromiseRecord | null) => {
  for (const p of o.inForce) {
    if (p === skip) continue;
    expect(brokenRules(o.graph, p), `promise ${JSON.stringify(p)}`).toEqual([]);
    expect(shapeHolds(o.graph, p, "weak"), `shape can still become ${JSON.stringify(p)}`).toBe(
      true,
    );
    if (p.rules.shape && scopeComplete(o.graph, p.scope) && !scopeFailed(o.graph, p.scope)) {
      expect(shapeHolds(o.graph, p, "exact"), `shape exact ${JSON.stringify(p)}`).toBe(true);
    }
  }
};

const checkScenario = (scenario: Scenario, tally: { stops: number; accepted: number }) => {
  const o = runScenario(scenario);
  const stop = o.stop;
  if (stop === null) {
    tally.accepted++;
    assertAcceptedStateHolds(o, null);
    return;
  }
  tally.stops++;
  if (stop.kind === "mutation") {
    // Property (2): before the mutation the promise could still be kept; with it, it cannot.
    assertAcceptedStateHolds(o, null);
    applyAnyway(o.graph, stop.mutation);
    expect(brokenPerOracle(o.graph, stop.violation), stop.violation.why).toBe(true);
  } else if (stop.kind === "make") {
    assertAcceptedStateHolds(o, null);
    expect(brokenPerOracle(o.graph, stop.violation), stop.violation.why).toBe(true);
  } else {
    const broken = new Set(stop.violations.map((v) => v.promise));
    for (const v of stop.violations) {
      expect(v.rule).toBe("shape");
      expect(scopeComplete(o.graph, v.promise.scope)).toBe(true);
      expect(scopeFailed(o.graph, v.promise.scope)).toBe(false);
      expect(shapeHolds(o.graph, v.promise, "exact"), v.why).toBe(false);
    }
    assertAcceptedStateHolds({ ...o, inForce: o.inForce.filter((p) => !broken.has(p)) }, null);
  }
};

describe("PromiseBook against a brute-force oracle", () => {
  it.each([
    ["any rules", filePromiseArb, anySteps],
    ["shape rules", shapePromiseArb, mapSteps],
  ] as const)(
    "%s: accepts only what keeps every promise, rejects only what breaks one; check changes nothing",
    (_, promise, steps) => {
      const tally = { stops: 0, accepted: 0 };
      fc.assert(
        fc.property(scenarioOf(promise, steps), (scenario) => checkScenario(scenario, tally)),
        { numRuns: 1000 },
      );
      // Both outcomes must actually be exercised.
      expect(tally.stops).toBeGreaterThan(20);
      expect(tally.accepted).toBeGreaterThan(20);
    },
  );
});
