import fc from "fast-check";
import type { NodeId } from "../../src/graph/ids.js";
import type { Mutation } from "../../src/graph/mutations.js";
import type { SimRun, WorkflowSpec } from "./run.js";

/** What the mutations are chosen from: a run's graph and promises. */
export type DrivenRun = Pick<SimRun, "graph" | "book">;

/** Random workflows and runs for the soundness property. */

export const SCRIPTS = ["a.py", "m.py", "x.py"] as const;
const ID_GLOBS = ["M-*", "X-*", "a", "b", "*"] as const;

const nodeIds = (n: number): string[] => Array.from({ length: n }, (_, i) => `n${i}`);

const endpoint = (ids: readonly string[]) =>
  fc.constantFrom("$self", "$new", "*", "M-*", "X-*", ...ids);

const template = (ids: readonly string[]) =>
  fc
    // Slot ids differ within a template, as validation requires.
    .uniqueArray(
      fc.record(
        {
          id: fc.constantFrom("M-*", "X-*", "a", "b"),
          run: fc.constantFrom(...SCRIPTS),
          count: fc.constantFrom("1", "?", "*", "+"),
          // Instances that grow under the named shape `grow`, which may name itself.
          promises: fc.constant([{ shape: { ref: "grow" } }]),
        },
        { requiredKeys: ["id", "run", "count"] },
      ),
      { minLength: 0, maxLength: 2, selector: (slot) => slot.id },
    )
    .chain((slots) => {
      const names = [...new Set(slots.map((s) => s.id)), ...ids];
      return fc.record({
        nodes: fc.constant(slots),
        edges: fc.array(
          fc.record({ from: fc.constantFrom(...names), to: fc.constantFrom(...names) }),
          {
            maxLength: 3,
          },
        ),
      });
    });

export const rulesArb = (ids: readonly string[]) =>
  fc.oneof(
    fc.constant({ nodes: false, edges: false }),
    fc.constant({ nodes: false }),
    fc.constant({ edges: false }),
    fc.record(
      {
        nodes: fc.record(
          {
            ids: fc.uniqueArray(fc.constantFrom(...ID_GLOBS), { minLength: 1, maxLength: 2 }),
            run: fc.uniqueArray(fc.constantFrom(...SCRIPTS), { minLength: 1, maxLength: 2 }),
            max: fc.nat({ max: 3 }),
          },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: ["nodes"] },
    ),
    fc.record({
      edges: fc.array(
        fc.record(
          { from: endpoint(ids), to: endpoint(ids), loop: fc.boolean() },
          { requiredKeys: ["from", "to"] },
        ),
        {
          minLength: 1,
          maxLength: 2,
        },
      ),
    }),
    fc.record({
      no_edges_from: fc.uniqueArray(fc.constantFrom(...ids, "M-*"), { minLength: 1, maxLength: 2 }),
    }),
    fc.record({
      no_edges_to: fc.uniqueArray(fc.constantFrom(...ids, "M-*"), { minLength: 1, maxLength: 2 }),
    }),
    shapeArb(ids),
  );

const shapeArb = (ids: readonly string[]) =>
  fc.record({
    shape: fc.record({ one_of: fc.array(template(ids), { minLength: 1, maxLength: 2 }) }),
  });

const scopedArb = (ids: readonly string[]) =>
  fc.tuple(
    fc.oneof(
      { weight: 1, arbitrary: fc.constant("*") },
      { weight: 4, arbitrary: fc.constantFrom(...ids) },
    ),
    rulesArb(ids),
  );

/** Loops whose target reaches their source through the workflow's edges: the others would be refused. */
const closing = (spec: WorkflowSpec): WorkflowSpec => {
  const reaches = (from: string, to: string): boolean =>
    from === to || (spec.edges ?? []).some(([a, b]) => a === from && reaches(b, to));
  return { ...spec, loops: (spec.loops ?? []).filter(([from, to]) => reaches(to, from)) };
};

/** Random workflows, some with loop edges. */
export const workflowArb: fc.Arbitrary<WorkflowSpec> = fc
  .integer({ min: 1, max: 4 })
  .chain((n) => dagArb(n))
  .map(closing);

const dagArb = (n: number): fc.Arbitrary<WorkflowSpec> => {
  const ids = nodeIds(n);
  const pairs = ids.flatMap((from, i) => ids.slice(i + 1).map((to) => [from, to] as const));
  return fc.record({
    shapes: fc
      .array(template(ids), { minLength: 1, maxLength: 2 })
      .map((oneOf) => ({ grow: { one_of: oneOf } })),
    nodes: fc.tuple(...ids.map((id) => fc.constantFrom(...SCRIPTS).map((s) => [id, s] as const))),
    edges: pairs.length === 0 ? fc.constant([]) : fc.subarray(pairs),
    // Candidate loops `[from, to]` (to before from, or itself); those whose `to` reaches `from` are kept.
    loops: fc.uniqueArray(
      fc
        .tuple(
          fc.constantFrom(...ids),
          fc.option(fc.constantFrom(...ids)),
          fc.integer({ min: 1, max: 3 }),
        )
        // Half of them from a node to itself, which always closes.
        .map(([from, to, max]) => [from, to ?? from, max] as const),
      { maxLength: 2, selector: ([from]) => from },
    ),
    promises: fc
      .tuple(
        fc.array(scopedArb(ids), { maxLength: 3 }),
        fc.option(fc.tuple(fc.constantFrom(...ids), shapeArb(ids))),
      )
      .map(([some, shape]) =>
        [...some, ...(shape ? [shape] : [])].map(([scope, rules]) => ({ scope, ...rules })),
      ),
  });
};

/** Choices read from a tape fast-check generates (and shrinks); 0 once it runs out. */
export class Tape {
  readonly #values: readonly number[];
  #at = 0;

  constructor(values: readonly number[]) {
    this.#values = values;
  }

  next(): number {
    return this.#values[this.#at++] ?? 0;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.next() % items.length]!;
  }
}

/** Ids for new nodes: a glob with its wildcards filled in, numbered per run so a case replays alike. */
export class IdMaker {
  #next = 0;

  make(glob: string): string {
    return glob.replace(/\*/g, () => `${++this.#next}`).replace(/\?/g, "q");
  }
}

/** Mutations a task might try: some guided by the shapes it is bound by, so shapes get completed. */
export const candidateMutations = (
  run: DrivenRun,
  source: NodeId,
  tape: Tape,
  ids: IdMaker,
): Mutation[] => {
  const all = [...run.graph.nodes()].map((n) => n.id);
  const pending = [...run.graph.nodes()].filter((n) => n.status === "pending").map((n) => n.id);
  const node = (id: string, script: string): Mutation => ({
    kind: "add_node",
    source,
    id,
    run: script,
    args: [],
    params: {},
  });
  const edge = (from: string, to: string): Mutation => ({ kind: "add_edge", source, from, to });
  const guided = [
    ...shapeGuided(run, source, ids, node, edge),
    ...rulesGuided(run, source, ids, tape, node),
  ];
  const loop = (from: string, to: string): Mutation => ({
    kind: "add_edge",
    source,
    from,
    to,
    loop: { max: 1 + (tape.next() % 3) },
  });
  const random: Mutation[] = [
    node(ids.make(tape.pick(ID_GLOBS)), tape.pick(SCRIPTS)),
    // Now and then a loop edge, most of which close no cycle and are refused.
    ...(tape.next() % 4 === 0 ? [loop(tape.pick(all), tape.pick(all))] : []),
    ...(pending.length > 0
      ? [edge(tape.pick(all), tape.pick(pending)), edge(source, tape.pick(pending))]
      : []),
  ];
  return [...guided, ...random];
};

const shapeGuided = (
  run: DrivenRun,
  source: NodeId,
  ids: IdMaker,
  node: (id: string, script: string) => Mutation,
  edge: (from: string, to: string) => Mutation,
): Mutation[] => {
  const out: Mutation[] = [];
  for (const promise of run.book.effective(source)) {
    const oneOf = promise.rules.shape?.one_of;
    if (!oneOf) continue;
    for (const alt of run.book.progress(promise.id).alternatives) {
      if (!alt.alive) continue;
      const template = oneOf[alt.index]!;
      template.nodes.forEach((slot, i) => {
        const full = (slot.count === "1" || slot.count === "?") && alt.instances[i]!.length > 0;
        if (!full) out.push(node(ids.make(slot.id), slot.run));
      });
      const ends = (name: string): readonly string[] => {
        const i = template.nodes.findIndex((s) => s.id === name);
        return i >= 0 ? alt.instances[i]! : [name];
      };
      for (const e of template.edges) {
        for (const f of ends(e.from))
          for (const t of ends(e.to)) if (!run.graph.edge(f, t)) out.push(edge(f, t));
      }
    }
  }
  return out;
};

/** Nodes that a `nodes` rule of the source's promises lets it add. */
const rulesGuided = (
  run: DrivenRun,
  source: NodeId,
  ids: IdMaker,
  tape: Tape,
  node: (id: string, script: string) => Mutation,
): Mutation[] =>
  run.book.effective(source).flatMap((promise) => {
    const rule = promise.rules.nodes;
    if (!rule) return [];
    return [node(ids.make(tape.pick(rule.ids ?? ["N-*"])), tape.pick(rule.run ?? SCRIPTS))];
  });
