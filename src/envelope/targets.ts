import type { Graph } from "../graph/graph.js";
import type { NodeId } from "../graph/ids.js";
import { compileIdGlob } from "../promises/glob.js";
import { alternativeTargets } from "./alternatives.js";
import type { Alternative, EdgeAdditions, WildcardRules } from "./model.js";

/**
 * Ancestor sets, computed once per distinct predecessor set: siblings of a
 * fan-out share one, which keeps a 10,000-wide map linear.
 */
export class Ancestry {
  readonly #graph: Graph;
  readonly #bySignature = new Map<string, ReadonlySet<NodeId>>();

  constructor(graph: Graph) {
    this.#graph = graph;
  }

  /** Every node from which `id` is reachable, excluding `id`. */
  of(id: NodeId): ReadonlySet<NodeId> {
    const preds = [...this.#graph.predecessors(id)].sort();
    const key = preds.join("\u0000");
    let found = this.#bySignature.get(key);
    if (!found) {
      found = this.#reach(preds);
      this.#bySignature.set(key, found);
    }
    return found;
  }

  #reach(start: readonly NodeId[]): Set<NodeId> {
    const seen = new Set(start);
    const stack = [...start];
    while (stack.length > 0) {
      for (const prev of this.#graph.predecessors(stack.pop()!)) {
        if (!seen.has(prev)) {
          seen.add(prev);
          stack.push(prev);
        }
      }
    }
    return seen;
  }
}

/**
 * The nodes that reach every source, sources included. A node only adds once
 * it runs, and it runs after all its ancestors have finished, so none of the
 * sources can ever add an edge into one of these.
 */
export const commonAncestry = (
  sources: readonly NodeId[],
  ancestry: Ancestry,
): ReadonlySet<NodeId> => {
  let common: Set<NodeId> | null = null;
  const uses = new Map<ReadonlySet<NodeId>, number>();
  for (const source of sources) {
    const above = ancestry.of(source);
    const n = uses.get(above) ?? 0;
    uses.set(above, n + 1);
    // After two distinct sources with the same ancestors, `common` is within them already.
    if (n >= 2) continue;
    common = common === null ? new Set([...above, source]) : intersect(common, above, source);
    if (common.size === 0) break;
  }
  return common ?? new Set();
};

const intersect = (
  set: ReadonlySet<NodeId>,
  other: ReadonlySet<NodeId>,
  also: NodeId,
): Set<NodeId> => {
  const out = new Set<NodeId>();
  for (const id of set) if (id === also || other.has(id)) out.add(id);
  return out;
};

/** Is `id` a node the scope rooted at `scope` added (`$new`)? */
export const addedByScope = (graph: Graph, scope: string, id: NodeId): boolean => {
  let creator = graph.node(id)?.createdBy ?? null;
  if (scope === "*") return creator !== null;
  while (creator !== null) {
    if (creator === scope) return true;
    creator = graph.node(creator)?.createdBy ?? null;
  }
  return false;
};

/** Could an edge allowed by `edges` end at the existing node `id`? */
export const edgeMayEnd = (
  graph: Graph,
  edges: Exclude<EdgeAdditions, false>,
  id: NodeId,
): boolean =>
  !edges.no_edges_to.some((glob) => compileIdGlob(glob)(id)) &&
  edges.match.every((list) =>
    list.patterns.some((p) => p.loop !== true && endMayBe(graph, p.to, list.scope, id)),
  );

const endMayBe = (graph: Graph, end: string, scope: string, id: NodeId): boolean => {
  // `$self` is the node adding the edge: it is running, so never a target.
  if (end === "$self") return false;
  if (end === "$new") return addedByScope(graph, scope, id);
  return compileIdGlob(end)(id);
};

export interface TargetContext {
  readonly graph: Graph;
  readonly ancestry: Ancestry;
  /** Nodes not started yet, in creation order: the only ones an edge may still lead into. */
  readonly pending: readonly NodeId[];
  /** Nodes a loop may run again: not started yet, as far as an edge into them goes. */
  readonly runsAgain: ReadonlySet<NodeId>;
}

/** The existing nodes that the sources' additions may lead into, in creation order. */
export const mayPrecede = (
  ctx: TargetContext,
  sources: readonly NodeId[],
  rules: WildcardRules,
  alternatives: readonly Alternative[] | undefined,
): NodeId[] => {
  const edges = rules.edges;
  if (edges === false) return [];
  const candidates = alternatives
    ? inCreationOrder(ctx.graph, alternatives.flatMap(alternativeTargets))
    : ctx.pending;
  const before = commonAncestry(sources, ctx.ancestry);
  return candidates.filter(
    (id) =>
      (ctx.graph.node(id)?.status === "pending" || ctx.runsAgain.has(id)) &&
      !before.has(id) &&
      edgeMayEnd(ctx.graph, edges, id),
  );
};

const inCreationOrder = (graph: Graph, ids: readonly NodeId[]): NodeId[] =>
  [...new Set(ids)].sort((a, b) => graph.node(a)!.seq - graph.node(b)!.seq);
