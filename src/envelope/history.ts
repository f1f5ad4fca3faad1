import { compileIdGlob, normalizeScript } from "../promises/glob.js";
import type { PastRun } from "../store/past-runs.js";
import type { Store } from "../store/store.js";
import type { Alternative, CountRange, Slot, Wildcard } from "./model.js";

/** How many earlier runs a wildcard's history reads: the latest ones. */
export const HISTORY_RUNS = 20;

/**
 * The history of a workflow: its latest runs (by workflow name) that went to
 * their end, newest first, other than `current`. The one place the envelope's
 * history is gathered, for `orch graph` and the daemon alike.
 */
export const workflowHistory = (
  store: Store,
  workflow: string,
  current: string | null,
): PastRun[] => store.past.pastRuns(workflow, current, HISTORY_RUNS);

/** The smallest, largest and median of `counts` (not empty). */
export const countRange = (counts: readonly number[]): CountRange => {
  const sorted = [...counts].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { min: sorted[0]!, max: sorted[sorted.length - 1]!, median };
};

/**
 * `wildcard` with what earlier runs did where it stands: how many nodes the
 * same scope (its root, or its sources) added in each, and with a shape, which
 * option each ended as and how many instances each slot had. Pure.
 */
export const withHistory = (wildcard: Wildcard, past: readonly PastRun[]): Wildcard => {
  if (past.length === 0) return wildcard;
  const roots = wildcard.scope === null ? wildcard.sources : [wildcard.scope];
  const scopes = past.map((run) => scopeOf(run, roots));
  const added = countRange(scopes.map((scope) => scope.all.length));
  const alternatives = wildcard.alternatives?.map((alt) => {
    const matched = scopes.flatMap((scope, i) => {
      const chosen = wildcard.alternatives!.find((a) => instancesIfMatched(a, scope, past[i]!));
      return chosen === alt ? [instancesIfMatched(alt, scope, past[i]!)!] : [];
    });
    return annotated(alt, matched);
  });
  return {
    ...wildcard,
    history: { runs: past.length, added },
    ...(alternatives ? { alternatives } : {}),
  };
};

const annotated = (alt: Alternative, matched: readonly (readonly string[][])[]): Alternative => ({
  ...alt,
  history: { runs: matched.length },
  nodes: alt.nodes.map(
    (slot, i): Slot =>
      matched.length === 0
        ? slot
        : { ...slot, history: countRange(matched.map((instances) => instances[i]!.length)) },
  ),
});

interface PastScope {
  /** Every node the scope added. */
  readonly all: readonly PastRun["nodes"][number][];
  /** Those the scope's shape judges: not what grows inside an instance given a shape of its own. */
  readonly judged: (alt: Alternative) => PastRun["nodes"][number][];
}

/** What the scope of `roots` added in `run`: everything their tasks created, transitively. */
const scopeOf = (run: PastRun, roots: readonly string[]): PastScope => {
  const rootSet = new Set(roots);
  const inScope = new Set<string>();
  const all = run.nodes.filter((node) => {
    const by = node.created_by;
    const yes = by !== null && (rootSet.has(by) || inScope.has(by));
    if (yes) inScope.add(node.id);
    return yes;
  });
  const byId = new Map(all.map((node) => [node.id, node]));
  const judged = (alt: Alternative) => {
    const grows = alt.nodes.filter((slot) => slot.grows).map(slotMatcher);
    const boundary = (id: string): boolean => {
      const node = byId.get(id);
      return node !== undefined && grows.some((m) => m(node.id, node.run));
    };
    const level = new Set<string>();
    return all.filter((node) => {
      const by = node.created_by!;
      const yes = rootSet.has(by) || (level.has(by) && !boundary(by));
      if (yes) level.add(node.id);
      return yes;
    });
  };
  return { all, judged };
};

const slotMatcher = (slot: Slot): ((id: string, run: string) => boolean) => {
  const glob = compileIdGlob(slot.id);
  const script = normalizeScript(slot.run);
  return (id, run) => normalizeScript(run) === script && glob(id);
};

const holdsOne = (count: Slot["count"]): boolean => count === "1" || count === "?";
const countHolds = (count: Slot["count"], n: number): boolean =>
  count === "1" ? n === 1 : count === "?" ? n <= 1 : count === "+" ? n >= 1 : true;

/**
 * The instances of each slot if what `scope` added in `run` is exactly `alt`
 * (each node in the first slot that takes it, as the promise assigns them;
 * counts kept; every implied edge present), else null.
 */
const instancesIfMatched = (
  alt: Alternative,
  scope: PastScope,
  run: PastRun,
): string[][] | null => {
  const matchers = alt.nodes.map(slotMatcher);
  const instances: string[][] = alt.nodes.map(() => []);
  for (const node of scope.judged(alt)) {
    const slot = alt.nodes.findIndex(
      (s, i) =>
        matchers[i]!(node.id, node.run) && (!holdsOne(s.count) || instances[i]!.length === 0),
    );
    if (slot < 0) return null;
    instances[slot]!.push(node.id);
  }
  if (alt.nodes.some((slot, i) => !countHolds(slot.count, instances[i]!.length))) return null;
  const edges = new Set(run.edges.map((e) => `${e.from}\u0000${e.to}`));
  const ids = (end: Alternative["edges"][number]["from"]) =>
    "slot" in end ? instances[end.slot]! : [end.node];
  const complete = alt.edges.every((edge) =>
    ids(edge.from).every((f) => ids(edge.to).every((t) => edges.has(`${f}\u0000${t}`))),
  );
  return complete ? instances : null;
};
