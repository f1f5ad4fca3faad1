import type { Graph } from "../graph/graph.js";
import type { NodeId } from "../graph/ids.js";
import type { Mutation } from "../graph/mutations.js";
import { ordinal } from "./describe.js";
import { compileIdGlob, type IdMatcher, normalizeScript } from "./glob.js";
import type { ShapeSet, SlotCount, Template } from "./schema.js";
import type { AlternativeProgress } from "./types.js";

/**
 * The `shape` rule: what a scope adds must stay able to become one
 * of the `one_of` templates, and be exactly one when the scope completes.
 *
 * Slot assignment is greedy and final: each node the scope adds goes, in every
 * alternative, to the first slot (template order) whose glob and script match
 * and that still has room. Edges are then checked against the edges the
 * alternative implies for those assignments. Everything is counted, never
 * enumerated, so a mutation costs O(alternatives × template size).
 */

interface Slot {
  readonly id: string;
  readonly match: IdMatcher;
  readonly run: string;
  readonly count: SlotCount;
  readonly label: string;
}

/** A template edge endpoint: a slot index, or an existing node's id. */
type End = { readonly slot: number } | { readonly node: NodeId };

interface TemplateEdge {
  readonly from: End;
  readonly to: End;
  readonly label: string;
}

interface CompiledTemplate {
  readonly slots: readonly Slot[];
  readonly edges: readonly TemplateEdge[];
  /** Template edge index by role key (see `roleKey`). */
  readonly edgeByRoles: ReadonlyMap<string, number>;
  /** Edges into an existing node (by index): those become impossible once it starts. */
  readonly intoNodes: readonly { readonly edge: number; readonly node: NodeId }[];
}

interface Alternative {
  readonly template: CompiledTemplate;
  readonly instances: NodeId[][];
  readonly slotOf: Map<NodeId, number>;
  readonly present: number[];
  why: string | null;
}

/** What one mutation does to one alternative. */
export type Outcome =
  | { readonly kind: "dead"; readonly why: string; readonly earlier?: true }
  | { readonly kind: "slot"; readonly slot: number }
  | { readonly kind: "edge"; readonly edge: number };

const holdsOne = (count: SlotCount): boolean => count === "1" || count === "?";

const SLOT_ROLE = "\u0001";
const roleKey = (from: string, to: string): string => `${from}\u0000${to}`;
const endRole = (end: End): string => ("slot" in end ? `${SLOT_ROLE}${end.slot}` : end.node);

const compileTemplate = (template: Template): CompiledTemplate => {
  const slots = template.nodes.map(
    (slot): Slot => ({
      id: slot.id,
      match: compileIdGlob(slot.id),
      run: normalizeScript(slot.run),
      count: slot.count,
      label: `slot "${slot.id}" (run ${slot.run}, count ${slot.count})`,
    }),
  );
  const resolve = (name: string): End => {
    const slot = slots.findIndex((s) => s.id === name);
    return slot >= 0 ? { slot } : { node: name };
  };
  const edges: TemplateEdge[] = [];
  const edgeByRoles = new Map<string, number>();
  for (const edge of template.edges) {
    const from = resolve(edge.from);
    const to = resolve(edge.to);
    const key = roleKey(endRole(from), endRole(to));
    if (edgeByRoles.has(key)) continue;
    edgeByRoles.set(key, edges.length);
    edges.push({ from, to, label: `${edge.from} -> ${edge.to}` });
  }
  const intoNodes = edges.flatMap((edge, i) =>
    "node" in edge.to ? [{ edge: i, node: edge.to.node }] : [],
  );
  return { slots, edges, edgeByRoles, intoNodes };
};

const countHolds = (count: SlotCount, n: number): boolean =>
  count === "1" ? n === 1 : count === "?" ? n <= 1 : count === "+" ? n >= 1 : true;

export class ShapeTracker {
  readonly #alternatives: Alternative[];

  constructor(rule: ShapeSet) {
    this.#alternatives = rule.one_of.map((template) => {
      const compiled = compileTemplate(template);
      return {
        template: compiled,
        instances: compiled.slots.map(() => []),
        slotOf: new Map(),
        present: compiled.edges.map(() => 0),
        why: null,
      };
    });
  }

  get alive(): boolean {
    return this.#alternatives.some((alt) => alt.why === null);
  }

  /**
   * What `m` (a mutation of the scope) would do to each alternative. With
   * `live`, an alternative also dies when an edge it still needs leads into a
   * node that has already started; replays skip that, since a replayed
   * mutation may be followed by the very edge it needs.
   */
  plan(m: Mutation, graph: Graph, live: boolean): Outcome[] {
    return this.#alternatives.map((alt) => {
      if (alt.why !== null) return { kind: "dead", why: alt.why, earlier: true };
      const outcome =
        m.kind === "add_node"
          ? assign(alt, m.id, m.run)
          : m.loop !== undefined
            ? loopOutsideTemplates(m.from, m.to)
            : connect(alt, m.from, m.to);
      if (outcome.kind === "dead" || !live) return outcome;
      const blocked = blockedEdge(alt, graph, outcome);
      return blocked === null ? outcome : { kind: "dead", why: blocked };
    });
  }

  /** Why no alternative survives `outcomes`, or null if one does. */
  failure(outcomes: readonly Outcome[]): string | null {
    if (outcomes.some((o) => o.kind !== "dead")) return null;
    const reasons = outcomes.map((o) =>
      o.kind !== "dead" ? "" : o.earlier ? `already ruled out: ${o.why}` : o.why,
    );
    return `the scope's additions can no longer become ${this.#which(reasons)}`;
  }

  apply(m: Mutation, outcomes: readonly Outcome[]): void {
    outcomes.forEach((outcome, i) => {
      const alt = this.#alternatives[i]!;
      if (alt.why !== null) return;
      if (outcome.kind === "dead") alt.why = outcome.why;
      else if (outcome.kind === "slot" && m.kind === "add_node") {
        alt.instances[outcome.slot]!.push(m.id);
        alt.slotOf.set(m.id, outcome.slot);
      } else if (outcome.kind === "edge") alt.present[outcome.edge]!++;
    });
  }

  /** Kills alternatives that need an edge into a node that has started; why none is left, or null. */
  settleStarted(graph: Graph): string | null {
    for (const alt of this.#alternatives) {
      if (alt.why === null) alt.why = blockedEdge(alt, graph, null);
    }
    if (this.alive) return null;
    return `the scope's additions can no longer become ${this.#which(this.#alternatives.map((a) => a.why ?? ""))}`;
  }

  /** As `settleStarted`, changing nothing: why no alternative can be completed any more, or null. */
  blockedEverywhere(graph: Graph): string | null {
    const reasons = this.#alternatives.map((alt) => alt.why ?? blockedEdge(alt, graph, null));
    if (reasons.some((why) => why === null)) return null;
    return `the scope's additions can no longer become ${this.#which(reasons.map((why) => why ?? ""))}`;
  }

  /** The check once the scope can add nothing more: why no template is matched exactly, or null. */
  finalFailure(scope: string, graph: Graph): string | null {
    const reasons = this.#alternatives.map((alt) => incompleteness(alt, graph));
    if (reasons.some((r) => r === null)) return null;
    const what = this.#which(reasons.map((r) => r ?? ""));
    return `scope ${scope} has completed, but what it added is not ${what}`;
  }

  /** Existing nodes some template gives an edge into: the nodes this shape may hold back. */
  targets(): NodeId[] {
    const out = new Set<NodeId>();
    for (const alt of this.#alternatives)
      for (const { node } of alt.template.intoNodes) out.add(node);
    return [...out];
  }

  /**
   * The template edge into `node` that a live alternative still requires or may
   * still take more of (its source slot has room), as written; null if none.
   * With `missingOnly`, only edges the scope has not added yet count.
   */
  requiresInto(node: NodeId, missingOnly: boolean): string | null {
    for (const alt of this.#alternatives) {
      if (alt.why !== null) continue;
      for (const { edge: e, node: target } of alt.template.intoNodes) {
        if (target !== node) continue;
        const edge = alt.template.edges[e]!;
        const missing = alt.present[e]! < expected(alt, e, null);
        if (missing || (!missingOnly && slotHasRoom(alt, edge.from))) return edge.label;
      }
    }
    return null;
  }

  /** The slot `id` was assigned to in a live alternative, as `[alternative, slot]`; null if none. */
  slotOf(id: NodeId): readonly [number, number] | null {
    for (const [i, alt] of this.#alternatives.entries()) {
      const slot = alt.slotOf.get(id);
      if (alt.why === null && slot !== undefined) return [i, slot];
    }
    return null;
  }

  progress(): AlternativeProgress[] {
    return this.#alternatives.map((alt, index) => ({
      index,
      alive: alt.why === null,
      instances: alt.instances.map((ids) => ids.slice()),
      edges: alt.template.edges.map((_, e) => ({
        present: alt.present[e]!,
        expected: expected(alt, e, null),
      })),
      ...(alt.why === null ? {} : { why: alt.why }),
    }));
  }

  #which(reasons: readonly string[]): string {
    if (reasons.length === 1) return `the template: ${reasons[0]}`;
    const each = reasons.map((why, i) => `one_of[${i}]: ${why}`).join("; ");
    return `any of the ${reasons.length} templates (${each})`;
  }
}

const assign = (alt: Alternative, id: NodeId, script: string): Outcome => {
  const run = normalizeScript(script);
  let full: number | null = null;
  const slots = alt.template.slots;
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i]!;
    if (slot.run !== run || !slot.match(id)) continue;
    if (!holdsOne(slot.count) || alt.instances[i]!.length === 0) return { kind: "slot", slot: i };
    full ??= i;
  }
  if (full !== null) {
    const slot = slots[full]!;
    const nth = ordinal(alt.instances[full]!.length + 1);
    return {
      kind: "dead",
      why: `node ${id} (run ${script}) would be the ${nth} instance of ${slot.label}`,
    };
  }
  const offered = slots.map((s) => `"${s.id}" (run ${s.run})`).join(", ") || "none";
  return { kind: "dead", why: `node ${id} (run ${script}) matches no slot (slots: ${offered})` };
};

const connect = (alt: Alternative, from: NodeId, to: NodeId): Outcome => {
  const fromRole = role(alt, from);
  const toRole = role(alt, to);
  const edge = alt.template.edgeByRoles.get(roleKey(fromRole, toRole));
  if (edge !== undefined) return { kind: "edge", edge };
  const asTemplate = `${roleLabel(alt, fromRole)} -> ${roleLabel(alt, toRole)}`;
  return {
    kind: "dead",
    why: `edge ${from} -> ${to} is not in the template (it would be ${asTemplate})`,
  };
};

/** Templates have no loop edges: a scope under a shape adds none. */
const loopOutsideTemplates = (from: NodeId, to: NodeId): Outcome => ({
  kind: "dead",
  why: `loop edge ${from} -> ${to} is not in the template (a template has no loop edges)`,
});

const role = (alt: Alternative, id: NodeId): string => {
  const slot = alt.slotOf.get(id);
  return slot === undefined ? id : `${SLOT_ROLE}${slot}`;
};

const roleLabel = (alt: Alternative, role: string): string =>
  role.startsWith(SLOT_ROLE) ? alt.template.slots[Number(role.slice(1))]!.id : role;

/** Instances of `end`, counting the one `pending` would add. */
const instanceCount = (alt: Alternative, end: End, pending: Outcome | null): number => {
  if (!("slot" in end)) return 1;
  const extra = pending?.kind === "slot" && pending.slot === end.slot ? 1 : 0;
  return alt.instances[end.slot]!.length + extra;
};

/** How many edges template edge `e` implies: the product of its ends' instance counts. */
const expected = (alt: Alternative, e: number, pending: Outcome | null): number => {
  const edge = alt.template.edges[e]!;
  return instanceCount(alt, edge.from, pending) * instanceCount(alt, edge.to, pending);
};

/** Why an implied edge into an existing node can never be added any more, or null. */
const blockedEdge = (alt: Alternative, graph: Graph, pending: Outcome | null): string | null => {
  for (const { edge: e, node: target } of alt.template.intoNodes) {
    const edge = alt.template.edges[e]!;
    const status = graph.node(target)?.status;
    if (status === undefined || status === "pending") continue;
    const present = alt.present[e]! + (pending?.kind === "edge" && pending.edge === e ? 1 : 0);
    const needed = expected(alt, e, pending);
    if (present < needed) {
      return `edge ${edge.label} needs ${needed} edge(s), the scope has added ${present}, and ${target} has already started (${status})`;
    }
  }
  return null;
};

/** Can `end`, if it is a slot, still take another instance? */
const slotHasRoom = (alt: Alternative, end: End): boolean =>
  "slot" in end &&
  (!holdsOne(alt.template.slots[end.slot]!.count) || alt.instances[end.slot]!.length === 0);

/** The ids a template end stands for now: a slot's instances, or the named node. */
const endIds = (alt: Alternative, end: End): readonly NodeId[] =>
  "slot" in end ? alt.instances[end.slot]! : [end.node];

/** The implied edges of template edge `e` not in the graph, as `a -> b`, at most `limit` of them. */
const missingEdges = (alt: Alternative, e: number, graph: Graph, limit: number): string[] => {
  const edge = alt.template.edges[e]!;
  const out: string[] = [];
  for (const from of endIds(alt, edge.from)) {
    for (const to of endIds(alt, edge.to)) {
      if (out.length === limit) return out;
      if (!graph.edge(from, to)) out.push(`${from} -> ${to}`);
    }
  }
  return out;
};

const MISSING_NAMED = 10;

/** Why `alt` is not exactly its template now, or null. */
const incompleteness = (alt: Alternative, graph: Graph): string | null => {
  if (alt.why !== null) return alt.why;
  for (const [i, slot] of alt.template.slots.entries()) {
    const n = alt.instances[i]!.length;
    if (!countHolds(slot.count, n)) return `${slot.label} has ${n} instance(s)`;
  }
  for (const [e, edge] of alt.template.edges.entries()) {
    const needed = expected(alt, e, null);
    if (alt.present[e]! < needed) {
      const absent = needed - alt.present[e]!;
      const named = missingEdges(alt, e, graph, MISSING_NAMED);
      const more = absent > named.length ? `, and ${absent - named.length} more` : "";
      return `edge ${edge.label}: the scope added ${alt.present[e]} of the ${needed} edge(s) it implies; missing ${named.join(", ")}${more}`;
    }
  }
  return null;
};
