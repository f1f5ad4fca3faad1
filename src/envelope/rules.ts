import { normalizeScript } from "../promises/glob.js";
import type { SlotCount, Template } from "../promises/schema.js";
import type { AlternativeProgress, PromiseProgress, PromiseRecord } from "../promises/types.js";
import type { EdgeAdditions, NodeAdditions, WildcardRules } from "./model.js";

/**
 * What a set of promises, all holding for the same additions, lets them be:
 * every rule of every promise intersected. A `shape` is folded in as the
 * union of what its live alternatives still take, an over-approximation the
 * alternatives themselves sharpen where a wildcard carries them.
 */

export type ProgressOf = (id: number) => PromiseProgress;

const UNRESTRICTED: WildcardRules = {
  nodes: { ids: [], run: null, max: null },
  edges: { match: [], no_edges_from: [], no_edges_to: [] },
};

export const combineRules = (
  promises: readonly PromiseRecord[],
  progressOf: ProgressOf,
): WildcardRules => {
  let rules = UNRESTRICTED;
  for (const promise of promises) rules = narrow(rules, promise, progressOf(promise.id));
  return normalize(rules);
};

const narrow = (
  rules: WildcardRules,
  p: PromiseRecord,
  progress: PromiseProgress,
): WildcardRules => {
  let { nodes, edges } = rules;
  const r = p.rules;
  if (r.nodes === false) nodes = false;
  else if (r.nodes) {
    nodes = narrowNodes(nodes, r.nodes.ids, r.nodes.run, remaining(r.nodes.max, progress));
  }
  if (r.edges === false) edges = false;
  else if (r.edges) edges = narrowEdges(edges, { scope: p.scope, patterns: r.edges });
  if (r.no_edges_from || r.no_edges_to) {
    edges = forbidEnds(edges, r.no_edges_from ?? [], r.no_edges_to ?? []);
  }
  // Instances of a slot with a shape of their own grow what that shape allows:
  // the outer templates then bound nothing their scope adds.
  if (r.shape && !r.shape.one_of.some(hasGrowingSlot)) {
    const alive = liveAlternatives(p, progress);
    nodes = narrowNodes(nodes, slotGlobs(alive), slotRuns(alive), alternativesRoom(alive));
    edges = narrowEdges(edges, { scope: p.scope, patterns: templateEdges(alive) });
  }
  return { nodes, edges };
};

const remaining = (max: number | undefined, progress: PromiseProgress): number | undefined =>
  max === undefined ? undefined : Math.max(0, max - progress.addedNodes);

const narrowNodes = (
  nodes: NodeAdditions,
  ids: readonly string[] | undefined,
  run: readonly string[] | undefined,
  max: number | null | undefined,
): NodeAdditions => {
  if (nodes === false) return false;
  return {
    ids: ids ? [...nodes.ids, [...new Set(ids)]] : nodes.ids,
    run: run ? intersectRuns(nodes.run, run) : nodes.run,
    max: max === undefined || max === null ? nodes.max : Math.min(nodes.max ?? max, max),
  };
};

const intersectRuns = (current: readonly string[] | null, run: readonly string[]): string[] => {
  const wanted = [...new Set(run.map(normalizeScript))];
  return current === null ? wanted : current.filter((script) => wanted.includes(script));
};

const narrowEdges = (
  edges: EdgeAdditions,
  list: { scope: string; patterns: readonly { from: string; to: string }[] },
): EdgeAdditions =>
  edges === false
    ? false
    : { ...edges, match: [...edges.match, { ...list, patterns: [...list.patterns] }] };

const forbidEnds = (
  edges: EdgeAdditions,
  from: readonly string[],
  to: readonly string[],
): EdgeAdditions =>
  edges === false
    ? false
    : {
        ...edges,
        no_edges_from: [...new Set([...edges.no_edges_from, ...from])],
        no_edges_to: [...new Set([...edges.no_edges_to, ...to])],
      };

/** Nothing can be added when no id, no script or no room is left; no edge when a pattern list is empty. */
const normalize = (rules: WildcardRules): WildcardRules => {
  const { nodes, edges } = rules;
  const noNodes =
    nodes !== false &&
    (nodes.max === 0 || nodes.run?.length === 0 || nodes.ids.some((list) => list.length === 0));
  const noEdges = edges !== false && edges.match.some((list) => list.patterns.length === 0);
  return { nodes: noNodes ? false : nodes, edges: noEdges ? false : edges };
};

/** Does a slot of `template` give its instances a shape of their own? */
export const hasGrowingSlot = (template: Template): boolean =>
  template.nodes.some((slot) => innerShape(slot) !== undefined);

/** The shape a slot's promises give each instance, if any. */
export const innerShape = (slot: Template["nodes"][number]) =>
  slot.promises?.find((p) => p.shape !== undefined)?.shape;

/** The alternatives of a shape promise that its scope's additions can still become. */
export interface LiveAlternative {
  readonly template: Template;
  readonly progress: AlternativeProgress;
}

export const liveAlternatives = (
  p: PromiseRecord,
  progress: PromiseProgress,
): LiveAlternative[] => {
  const oneOf = p.rules.shape?.one_of ?? [];
  return progress.alternatives
    .filter((alt) => alt.alive)
    .map((alt) => ({ template: oneOf[alt.index]!, progress: alt }));
};

type Live = readonly LiveAlternative[];

/** How many more nodes a slot takes, given how many it has: [min, max], null for no bound. */
export const slotRoom = (count: SlotCount, has: number): [number, number | null] => {
  const one = Math.max(0, 1 - has);
  if (count === "1") return [one, one];
  if (count === "?") return [0, one];
  if (count === "+") return [one, null];
  return [0, null];
};

const openSlots = (alive: Live) =>
  alive.flatMap(({ template, progress }) =>
    template.nodes.filter(
      (slot, i) => slotRoom(slot.count, progress.instances[i]!.length)[1] !== 0,
    ),
  );

const slotGlobs = (alive: Live): string[] => openSlots(alive).map((slot) => slot.id);

const slotRuns = (alive: Live): string[] => openSlots(alive).map((slot) => slot.run);

/** The most nodes any live alternative still takes; null when one has no bound. */
const alternativesRoom = (alive: Live): number | null => {
  let most = 0;
  for (const { template, progress } of alive) {
    let room = 0;
    for (const [i, slot] of template.nodes.entries()) {
      const max = slotRoom(slot.count, progress.instances[i]!.length)[1];
      if (max === null) return null;
      room += max;
    }
    most = Math.max(most, room);
  }
  return most;
};

const templateEdges = (alive: Live): { from: string; to: string }[] =>
  alive.flatMap(({ template }) => template.edges.map((e) => ({ from: e.from, to: e.to })));

/** Can these rules add anything at all, before looking at where edges could go? */
export const mayAddNodes = (rules: WildcardRules): boolean => rules.nodes !== false;
export const mayAddEdges = (rules: WildcardRules): boolean => rules.edges !== false;
