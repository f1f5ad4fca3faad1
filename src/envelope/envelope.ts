import type { Graph } from "../graph/graph.js";
import type { NodeId } from "../graph/ids.js";
import type { PromiseBook } from "../promises/book.js";
import type { PromiseProgress, PromiseRecord } from "../promises/types.js";
import type { PastRun } from "../store/past-runs.js";
import { type LoopFuture, loopFuture } from "./again.js";
import { alternativeTakesNodes, shapeAlternatives } from "./alternatives.js";
import { groupSources, type SourceGroup } from "./groups.js";
import { withHistory } from "./history.js";
import { wildcardLabel } from "./label.js";
import type { Alternative, Envelope, Wildcard, WildcardRules } from "./model.js";
import { combineRules, mayAddEdges, mayAddNodes } from "./rules.js";
import { type Stacks, singletons, stackedEdges, stackedNodes, stackSiblings } from "./stack.js";
import { Ancestry, mayPrecede, type TargetContext } from "./targets.js";

export interface EnvelopeOptions {
  /** Draw every node on its own instead of stacking siblings of the same shape. */
  readonly expand?: boolean;
  /**
   * The graph with what the attempts still running have added so far: drawn,
   * as provisional, over the committed graph the wildcards come from.
   */
  readonly staged?: Graph;
  /** Earlier runs of the same workflow: each wildcard says what they did (`workflowHistory`). */
  readonly history?: readonly PastRun[];
}

/**
 * The envelope of a run: the graph as it is now, plus one wildcard
 * per group of nodes that can still add something, bounded by the promises in
 * force. Pure: reads the graph and the book, changes neither.
 *
 * `graph` and `book` hold what has committed. A running attempt's additions
 * and promises are not yet in force: if it fails they are taken back and its
 * retry may do otherwise, so its node's wildcard counts none of them, and
 * what it added (`staged`) is drawn without wildcards of its own.
 */
export function computeEnvelope(
  graph: Graph,
  book: PromiseBook,
  options: EnvelopeOptions = {},
): Envelope {
  const drawn = options.staged ?? graph;
  const stacks = options.expand ? singletons(drawn) : stackSiblings(drawn);
  const future = loopFuture(graph);
  const candidates = deriveCandidates(graph, book, stacks, future, drawn).map((c) =>
    withPast(c, options.history ?? []),
  );
  const kept = candidates.filter((c) => worthDrawing(c, candidates, graph, future.again));
  return {
    nodes: stackedNodes(drawn, stacks, drawn === graph ? future : loopFuture(drawn)),
    edges: stackedEdges(drawn, stacks),
    wildcards: linked(numbered(kept.map((c) => onStacks(c, stacks)))),
    note: book.all().length === 0 && kept.length > 0 ? UNPROMISED_NOTE : null,
  };
}

export const UNPROMISED_NOTE =
  "No promises: any task may add any node and any edge into a node that has not started. " +
  'Promise less in the workflow file, e.g. {"scope": "*", "nodes": false, "edges": false} ' +
  "for a static graph, or a shape for the nodes a task adds (see docs/promises.md).";

/** The candidate's wildcard annotated with earlier runs, its label saying what they did. */
const withPast = (c: Candidate, past: readonly PastRun[]): Candidate => {
  if (past.length === 0) return c;
  const w = withHistory(c.wildcard, past);
  return { ...c, wildcard: { ...w, label: wildcardLabel(w.rules, w.alternatives, w.history) } };
};

/** A wildcard before it is numbered and linked to the others. */
interface Candidate {
  readonly wildcard: Wildcard;
  readonly takesNodes: boolean;
}

/**
 * A group that may only add edges is drawn when there is somewhere for them to
 * go: an existing node, or a node another wildcard may add. Unbounded edges
 * may go into any node not started yet (or that a loop may run again) other
 * than the sources.
 */
const worthDrawing = (
  c: Candidate,
  all: readonly Candidate[],
  graph: Graph,
  runsAgain: ReadonlySet<NodeId>,
): boolean =>
  c.takesNodes ||
  mayAddLoops(c.wildcard) ||
  c.wildcard.may_precede.length > 0 ||
  (c.wildcard.may_precede_any && pendingBeyond(graph, c.wildcard.sources, runsAgain)) ||
  (leadsIntoOthers(c.wildcard) && all.some((other) => other !== c && other.takesNodes));

/**
 * A loop edge runs back to where its source came from, which is always
 * somewhere: a scope whose edges every pattern list lets be loops (or that no
 * pattern bounds) may add one. A shape's templates have none.
 */
const mayAddLoops = (w: Wildcard): boolean =>
  w.rules.edges !== false &&
  !w.alternatives &&
  w.rules.edges.match.every((list) => list.patterns.some((p) => p.loop === true));

/** Some node not started (or to run again) an edge from a source may lead into: any but a lone source itself. */
const pendingBeyond = (
  graph: Graph,
  sources: readonly NodeId[],
  runsAgain: ReadonlySet<NodeId>,
): boolean => {
  for (const node of graph.nodes()) {
    const open = node.status === "pending" || runsAgain.has(node.id);
    if (open && (sources.length > 1 || sources[0] !== node.id)) return true;
  }
  return false;
};

/** A shape's edges only join its own slots and named nodes; other rules let edges reach anything new. */
const leadsIntoOthers = (w: Wildcard): boolean => w.rules.edges !== false && !w.alternatives;

/**
 * Edges bounded by no pattern and no shape (or by a shape whose instances grow
 * under shapes of their own, which may lead anywhere): where they may go is
 * said by rule, not listed.
 */
const unbounded = (
  rules: WildcardRules,
  alternatives: readonly Alternative[] | undefined,
): boolean =>
  rules.edges !== false &&
  rules.edges.match.length === 0 &&
  (!alternatives || alternatives.some((alt) => alt.nodes.some((slot) => slot.grows)));

const linked = (placed: readonly Candidate[]): Wildcard[] =>
  placed.map(({ wildcard }) => ({
    ...wildcard,
    may_precede_wildcards:
      leadsIntoOthers(wildcard) && !wildcard.may_precede_any
        ? placed
            .filter((o) => o.takesNodes && o.wildcard.id !== wildcard.id)
            .map((o) => o.wildcard.id)
        : [],
  }));

/** Everything one computation reads from the book, each thing once. */
interface Context extends TargetContext {
  readonly book: PromiseBook;
  readonly progressOf: (id: number) => PromiseProgress;
  readonly rulesOf: (promises: readonly PromiseRecord[]) => WildcardRules;
  /** The promises that judge what a node adds. */
  readonly judging: (id: NodeId) => readonly PromiseRecord[];
  /** Draw a shape's alternatives as they stand (not when a loop may undo its progress). */
  readonly shapeStands: (p: PromiseRecord) => boolean;
  /** The graph with what running attempts have staged, which may yet commit. */
  readonly staged: Graph;
}

const cachedRules = (progressOf: (id: number) => PromiseProgress) => {
  const cache = new Map<string, WildcardRules>();
  return (promises: readonly PromiseRecord[]): WildcardRules => {
    const key = promisesKey(promises);
    let rules = cache.get(key);
    if (!rules) {
      rules = combineRules(promises, progressOf);
      cache.set(key, rules);
    }
    return rules;
  };
};

/**
 * A loop going again takes back what the nodes it resets or removes added, and
 * the promises they made: a promise whose scope holds one of them (or the
 * whole run) may so count its scope's additions from nothing again, every
 * alternative of its shape open again, and a promise one of them made may be
 * gone. No wildcard counts on what a loop may undo.
 */
const loopAware = (graph: Graph, book: PromiseBook, future: LoopFuture) => {
  const undone = (id: NodeId) => future.again.has(id) || future.takenBack.has(id);
  const reaches = memo(
    (id: number) => future.again.size > 0 && scopeOf(graph, book.progress(id).promise).some(undone),
  );
  return {
    progressOf: memo((id: number) =>
      reaches(id) ? fromNothing(book.progress(id)) : book.progress(id),
    ),
    judging: (id: NodeId) =>
      book
        .judging(id)
        .filter(
          (p) =>
            (p.madeBy === null || !undone(p.madeBy)) &&
            (p.scope === "*" || !future.takenBack.has(p.scope)),
        ),
    /** A shape whose progress a loop may undo is drawn by its rules, not its alternatives as they stand. */
    shapeStands: (p: PromiseRecord) => !reaches(p.id),
  };
};

const scopeOf = (graph: Graph, p: PromiseRecord): readonly NodeId[] =>
  p.scope === "*" ? [...graph.nodes()].map((n) => n.id) : graph.scope(p.scope);

const fromNothing = (progress: PromiseProgress): PromiseProgress => ({
  ...progress,
  addedNodes: 0,
  alternatives: progress.alternatives.map(({ why: _ruledOut, ...alt }) => ({
    ...alt,
    alive: true,
    instances: alt.instances.map(() => []),
    edges: alt.edges.map((e) => ({ ...e, present: 0 })),
  })),
});

const deriveCandidates = (
  graph: Graph,
  book: PromiseBook,
  stacks: Stacks,
  future: LoopFuture,
  staged: Graph,
): Candidate[] => {
  const { progressOf, judging, shapeStands } = loopAware(graph, book, future);
  const ctx: Context = {
    graph,
    book,
    progressOf,
    rulesOf: cachedRules(progressOf),
    judging,
    shapeStands,
    staged,

    ancestry: new Ancestry(graph),
    // A node a loop may run again is, for what may lead into it, not started yet.
    pending: [...graph.nodes()]
      .filter((n) => n.status === "pending" || future.again.has(n.id))
      .map((n) => n.id),
    runsAgain: future.again,
  };
  const groups = groupSources(
    graph,
    scopeRoots(book, progressOf),
    book.boundaries(),
    stacks.stackOf,
    (id) => promisesKey(book.judging(id)),
    future.again,
  );
  return groups.flatMap((group) => candidateFor(ctx, group) ?? []);
};

/** Which promises judge a node, a shape judged inside a boundary told apart. */
const promisesKey = (promises: readonly PromiseRecord[]): string =>
  promises.map((p) => (p.rules.shape ? `${p.id}s` : p.id)).join(",");

/** Nodes that some promise in force is scoped to. */
const scopeRoots = (book: PromiseBook, progressOf: (id: number) => PromiseProgress): Set<NodeId> =>
  new Set(
    book
      .all()
      .filter((p) => p.scope !== "*" && progressOf(p.id).inForce)
      .map((p) => p.scope),
  );

const candidateFor = (ctx: Context, group: SourceGroup): Candidate | null => {
  const sources = group.sources.filter((s) => {
    const own = ctx.rulesOf(ctx.judging(s));
    return mayAddNodes(own) || mayAddEdges(own);
  });
  if (sources.length === 0) return null;
  // Promises of the outermost root (and run-wide ones) hold for every source in the group.
  const common = ctx.judging(group.anchor ?? sources[0]!);
  const rules = ctx.rulesOf(common);
  const shape = common.find(
    (p) => p.scope === group.anchor && p.rules.shape !== undefined && ctx.shapeStands(p),
  );
  const alternatives = shape
    ? shapeAlternatives(
        shape,
        ctx.progressOf(shape.id),
        ctx.graph,
        rules.nodes,
        (name) => ctx.book.namedShape(name),
        ctx.runsAgain,
        ctx.staged,
      )
    : undefined;
  const any = unbounded(rules, alternatives);
  const precede = any ? [] : mayPrecede(ctx, sources, rules, alternatives);
  const takesNodes = mayAddNodes(rules) && (alternatives?.some(alternativeTakesNodes) ?? true);
  const wildcard: Wildcard = {
    id: "",
    from: group.from,
    scope: group.anchor,
    sources,
    rules,
    label: wildcardLabel(rules, alternatives),
    may_precede_any: any,
    may_precede: precede,
    may_precede_wildcards: [],
    ...(alternatives ? { alternatives } : {}),
  };
  return { wildcard, takesNodes };
};

/** Wildcards drawn on stacks: hung from and leading into the stacks their nodes are in. */
const onStacks = (c: Candidate, stacks: Stacks): Candidate => ({
  ...c,
  wildcard: {
    ...c.wildcard,
    from: stacks.stackOf(c.wildcard.from),
    may_precede: [...new Set(c.wildcard.may_precede.map(stacks.stackOf))],
  },
});

/** `*A`, or `*A#2` for a second wildcard on the same node: never a node id, which has neither character. */
const numbered = (candidates: readonly Candidate[]): Candidate[] => {
  const seen = new Map<string, number>();
  return candidates.map((c) => {
    const from = c.wildcard.from;
    const n = (seen.get(from) ?? 0) + 1;
    seen.set(from, n);
    return { ...c, wildcard: { ...c.wildcard, id: n === 1 ? `*${from}` : `*${from}#${n}` } };
  });
};

const memo = <K, V>(f: (key: K) => V): ((key: K) => V) => {
  const cache = new Map<K, V>();
  return (key) => {
    let value = cache.get(key);
    if (value === undefined) {
      value = f(key);
      cache.set(key, value);
    }
    return value;
  };
};
