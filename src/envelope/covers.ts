import {
  type Graph,
  type GraphEdge,
  type GraphNode,
  isSettled,
  type LoopEdge,
  type NodeStatus,
} from "../graph/graph.js";
import type { NodeId } from "../graph/ids.js";
import { compileIdGlob, normalizeScript } from "../promises/glob.js";
import type { SlotCount } from "../promises/schema.js";
import type {
  Alternative,
  EdgeAdditions,
  Envelope,
  EnvelopeNode,
  NodeAdditions,
  Wildcard,
} from "./model.js";
import { countStates } from "./stack.js";
import { addedByScope } from "./targets.js";

/**
 * Is `later` (a graph the run reached after the envelope was drawn) within
 * the envelope? `true`, or the first reason it is not. Every node and edge of
 * `later` must be drawn, or be added under a wildcard whose sources it
 * descends from and whose rules, targets and alternatives allow it; nothing
 * drawn may vanish except provisional additions (a failed task's are discarded).
 * What a running attempt has staged is drawn but not in force: it is judged
 * once it commits, under its creator's wildcards, as is what it leads to.
 */
export type Coverage = true | string;

export const covers = (envelope: Envelope, later: Graph): Coverage => {
  const index = indexEnvelope(envelope);
  const attributed = new Map<Wildcard, Additions>();
  return (
    firstFailure(envelope.nodes, (node) => nodeKept(node, later)) ??
    firstFailure(envelope.edges, (edge) => edgeKept(edge, index, later)) ??
    firstFailure([...later.nodes()], (node) => attributeNode(node, index, later, attributed)) ??
    firstFailure([...later.edges()], (edge) => attributeEdge(edge, index, later, attributed)) ??
    firstFailure([...later.loops()], (loop) => attributeLoop(loop, index, later, attributed)) ??
    firstFailure([...attributed], ([w, adds]) => allowed(w, adds, later)) ??
    true
  );
};

interface Index {
  /** Every drawn node id (stack members included) → the drawn node. */
  readonly drawn: ReadonlyMap<NodeId, EnvelopeNode>;
  readonly byId: ReadonlyMap<string, EnvelopeNode>;
  readonly edges: ReadonlySet<string>;
  /** Drawn loop edges, member to member. */
  readonly loops: ReadonlySet<string>;
  readonly bySource: ReadonlyMap<NodeId, readonly Wildcard[]>;
}

interface Additions {
  readonly nodes: GraphNode[];
  /** Nodes drawn as a running attempt's staged additions that have committed since. */
  readonly staged: GraphNode[];
  readonly edges: GraphEdge[];
  readonly loops: LoopEdge[];
}

const pairKey = (from: NodeId, to: NodeId): string => `${from}\u0000${to}`;

const indexEnvelope = (envelope: Envelope): Index => {
  const drawn = new Map<NodeId, EnvelopeNode>();
  for (const node of envelope.nodes) for (const id of node.members) drawn.set(id, node);
  const byId = new Map(envelope.nodes.map((n) => [n.id, n]));
  const edges = new Set<string>();
  const loops = new Set<string>();
  for (const edge of envelope.edges) {
    const froms = byId.get(edge.from)?.members ?? [];
    // A loop from a stack to itself stands for each member's loop to itself.
    if (edge.loop && edge.from === edge.to) for (const f of froms) loops.add(pairKey(f, f));
    else {
      for (const f of froms) {
        for (const t of byId.get(edge.to)?.members ?? [])
          (edge.loop ? loops : edges).add(pairKey(f, t));
      }
    }
  }
  const bySource = new Map<NodeId, Wildcard[]>();
  for (const w of envelope.wildcards) {
    for (const s of w.sources) bySource.set(s, [...(bySource.get(s) ?? []), w]);
  }
  return { drawn, byId, edges, loops, bySource };
};

const firstFailure = <T>(items: Iterable<T>, check: (item: T) => string | null): string | null => {
  for (const item of items) {
    const why = check(item);
    if (why !== null) return why;
  }
  return null;
};

const nodeKept = (node: EnvelopeNode, later: Graph): string | null =>
  // A provisional node may vanish, or come again from another attempt: it is then an addition.
  node.provisional
    ? null
    : (firstFailure(node.members, (id) => {
        const now = later.node(id);
        if (!now)
          return node.loop_reset === "taken_back" ? null : `node ${id} is drawn but is gone`;
        // A node taken back may come again as another: it is then a new addition.
        if (
          node.loop_reset !== "taken_back" &&
          (now.run !== node.script || now.createdBy !== node.created_by)
        ) {
          return `node ${id} changed its script or creator`;
        }
        return null;
      }) ?? (node.loop_reset === undefined ? settledKept(node, later) : null));

/** A settled node stays as it is: a stack has at least as many members in each settled state. */
const settledKept = (node: EnvelopeNode, later: Graph): string | null => {
  const now = countStates(node.members.flatMap((id) => later.node(id)?.status ?? []));
  for (const [state, n] of Object.entries(node.states) as [NodeStatus, number][]) {
    if (isSettled(state) && (now[state] ?? 0) < n) {
      const what = node.count === 1 ? `node ${node.id} was` : `${n} of stack ${node.id} were`;
      return `${what} ${state}, now ${now[state] ?? 0} are`;
    }
  }
  return null;
};

/** An edge a loop going again may take back: one a reset node added, or one from or to a node it removes. */
const mayBeTakenBack = (edge: Envelope["edges"][number], index: Index): boolean =>
  (edge.created_by !== null && index.drawn.get(edge.created_by)?.loop_reset !== undefined) ||
  index.byId.get(edge.from)?.loop_reset === "taken_back" ||
  index.byId.get(edge.to)?.loop_reset === "taken_back";

const edgeKept = (edge: Envelope["edges"][number], index: Index, later: Graph): string | null => {
  if (edge.provisional || mayBeTakenBack(edge, index)) return null;
  if (edge.loop && edge.from === edge.to) {
    const gone = (index.byId.get(edge.from)?.members ?? []).find((f) => !later.loop(f, f));
    return gone === undefined ? null : `loop edge ${gone} -> ${gone} is drawn but is gone`;
  }
  for (const f of index.byId.get(edge.from)?.members ?? []) {
    for (const t of index.byId.get(edge.to)?.members ?? []) {
      const kept = edge.loop ? later.loop(f, t) : later.edge(f, t);
      if (!kept) return `${edge.loop ? "loop edge" : "edge"} ${f} -> ${t} is drawn but is gone`;
    }
  }
  return null;
};

/** A drawn node that is in force: not a running attempt's provisional addition. */
const committedDrawn = (id: NodeId, index: Index): EnvelopeNode | undefined => {
  const drawn = index.drawn.get(id);
  return drawn?.provisional ? undefined : drawn;
};

/** The drawn node whose future additions `id`'s came from: `id` or its nearest committed drawn creator. */
const drawnRoot = (id: NodeId, index: Index, later: Graph): NodeId | null => {
  let current: NodeId | null = id;
  while (current !== null && committedDrawn(current, index) === undefined)
    current = later.node(current)?.createdBy ?? null;
  return current;
};

const wildcardsFor = (
  creator: NodeId | null,
  what: string,
  index: Index,
  later: Graph,
): readonly Wildcard[] | string => {
  if (creator === null) return `${what} came from the workflow file but is not drawn`;
  const root = drawnRoot(creator, index, later);
  if (root === null) return `${what} was added by ${creator}, which descends from no drawn node`;
  const found = index.bySource.get(root);
  return found && found.length > 0
    ? found
    : `${what} was added under ${root}, which has no wildcard`;
};

const cameAgainAsAnother = (node: GraphNode, drawn: EnvelopeNode): boolean =>
  node.run !== drawn.script || node.createdBy !== drawn.created_by;

const attributeNode = (
  node: GraphNode,
  index: Index,
  later: Graph,
  attributed: Map<Wildcard, Additions>,
): string | null => {
  if (node.provisional) return null;
  const drawn = index.drawn.get(node.id);
  if (drawn?.provisional) {
    if (!cameAgainAsAnother(node, drawn)) {
      // Staged when drawn, committed since: drawn, yet part of what its shape was given.
      const found = wildcardsFor(node.createdBy, `node ${node.id}`, index, later);
      if (typeof found !== "string")
        for (const w of found) additionsOf(attributed, w).staged.push(node);
      return null;
    }
  } else if (drawn && !(drawn.loop_reset === "taken_back" && cameAgainAsAnother(node, drawn)))
    return null;
  const found = wildcardsFor(node.createdBy, `node ${node.id}`, index, later);
  if (typeof found === "string") return found;
  for (const w of found) additionsOf(attributed, w).nodes.push(node);
  return null;
};

const attributeEdge = (
  edge: GraphEdge,
  index: Index,
  later: Graph,
  attributed: Map<Wildcard, Additions>,
): string | null => {
  if (edge.provisional || index.edges.has(pairKey(edge.from, edge.to))) return null;
  const what = `edge ${edge.from} -> ${edge.to}`;
  const found = wildcardsFor(edge.createdBy, what, index, later);
  if (typeof found === "string") return found;
  const drawnTarget = index.drawn.get(edge.to);
  let target = drawnTarget?.provisional ? undefined : drawnTarget;
  let into = target
    ? []
    : wildcardsFor(later.node(edge.to)?.createdBy ?? null, `node ${edge.to}`, index, later);
  // Staged by a node that may add nothing more (its shape can no longer be completed): the edge leads into it as drawn.
  if (typeof into === "string" && drawnTarget !== undefined) [target, into] = [drawnTarget, []];
  if (typeof into === "string") return into;
  for (const w of found) {
    if (w.may_precede_any) {
      if (target && target.status !== "pending" && target.loop_reset === undefined) {
        return `${what} leads into ${edge.to}, which had started (${target.status}) when ${w.id} was drawn`;
      }
    } else if (target && !w.may_precede.includes(target.id)) {
      return `${what} leads into ${edge.to}, which wildcard ${w.id} may not precede`;
    }
    const intoOk =
      w.may_precede_any || into.some((t) => t === w || w.may_precede_wildcards.includes(t.id));
    if (!target && !intoOk) {
      return `${what} leads into ${edge.to}, added under a wildcard that ${w.id} may not precede`;
    }
    additionsOf(attributed, w).edges.push(edge);
  }
  return null;
};

/** A loop edge not drawn: added under a wildcard whose rules allow loop edges (it may point anywhere back). */
const attributeLoop = (
  loop: LoopEdge,
  index: Index,
  later: Graph,
  attributed: Map<Wildcard, Additions>,
): string | null => {
  if (loop.provisional || index.loops.has(pairKey(loop.from, loop.to))) return null;
  const found = wildcardsFor(loop.createdBy, `loop edge ${loop.from} -> ${loop.to}`, index, later);
  if (typeof found === "string") return found;
  for (const w of found) additionsOf(attributed, w).loops.push(loop);
  return null;
};

const additionsOf = (attributed: Map<Wildcard, Additions>, w: Wildcard): Additions => {
  let adds = attributed.get(w);
  if (!adds) {
    adds = { nodes: [], staged: [], edges: [], loops: [] };
    attributed.set(w, adds);
  }
  return adds;
};

const allowed = (w: Wildcard, adds: Additions, later: Graph): string | null =>
  nodesAllowed(w, w.rules.nodes, adds.nodes) ??
  firstFailure(adds.edges, (edge) => edgeAllowed(w, w.rules.edges, edge, later)) ??
  firstFailure(adds.loops, (loop) => edgeAllowed(w, w.rules.edges, loop, later)) ??
  alternativeMatched(w, adds, later);

const nodesAllowed = (
  w: Wildcard,
  rules: NodeAdditions,
  nodes: readonly GraphNode[],
): string | null => {
  if (nodes.length === 0) return null;
  if (rules === false) return `wildcard ${w.id} may add no nodes, yet ${nodes[0]!.id} was added`;
  if (rules.max !== null && nodes.length > rules.max) {
    return `wildcard ${w.id} may add at most ${rules.max} node(s), ${nodes.length} were added`;
  }
  return firstFailure(nodes, (node) => {
    const idOk = rules.ids.every((list) => list.some((glob) => compileIdGlob(glob)(node.id)));
    const runOk = rules.run === null || rules.run.includes(normalizeScript(node.run));
    return idOk && runOk
      ? null
      : `node ${node.id} (${node.run}) is not what wildcard ${w.id} may add`;
  });
};

const edgeAllowed = (
  w: Wildcard,
  rules: EdgeAdditions,
  edge: GraphEdge | LoopEdge,
  later: Graph,
): string | null => {
  const loop = "max" in edge;
  const what = `${loop ? "loop edge" : "edge"} ${edge.from} -> ${edge.to}`;
  if (rules === false) return `wildcard ${w.id} may add no edges, yet ${what} was added`;
  if (rules.no_edges_from.some((glob) => compileIdGlob(glob)(edge.from)))
    return `${what} starts where no edge may`;
  if (rules.no_edges_to.some((glob) => compileIdGlob(glob)(edge.to)))
    return `${what} ends where no edge may`;
  const end = (pattern: string, id: NodeId, scope: string): boolean =>
    pattern === "$self"
      ? id === edge.createdBy
      : pattern === "$new"
        ? addedByScope(later, scope, id)
        : compileIdGlob(pattern)(id);
  const matched = rules.match.every((list) =>
    list.patterns.some(
      (p) =>
        (p.loop === true) === loop &&
        end(p.from, edge.from, list.scope) &&
        end(p.to, edge.to, list.scope),
    ),
  );
  return matched ? null : `${what} matches no edge pattern of wildcard ${w.id}`;
};

const alternativeMatched = (w: Wildcard, adds: Additions, later: Graph): string | null => {
  if (!w.alternatives) return null;
  const loop = adds.loops[0];
  // A shape's templates hold no loop edge.
  if (loop)
    return `loop edge ${loop.from} -> ${loop.to} was added under wildcard ${w.id}, whose shape has no loop edges`;
  if (adds.nodes.length === 0 && adds.edges.length === 0) return null;
  const exact = w.scope !== null && scopeCompleted(later, w.scope);
  const sources = new Set(w.sources);
  const reasons = w.alternatives.map((alt) => alternativeFailure(alt, adds, later, exact, sources));
  if (reasons.some((why) => why === null)) return null;
  return `what was added under wildcard ${w.id} is none of its alternatives: ${reasons.join("; ")}`;
};

/** Every node of the scope finished and none failed: the shape must then be matched exactly. */
const scopeCompleted = (later: Graph, root: NodeId): boolean =>
  later.scope(root).every((id) => later.node(id)?.status === "succeeded");

const holdsOne = (count: SlotCount): boolean => count === "1" || count === "?";

const countHolds = (count: SlotCount, n: number): boolean =>
  count === "1" ? n === 1 : count === "?" ? n <= 1 : count === "+" ? n >= 1 : true;

/** Why the additions do not fit `alt` (as a prefix, or exactly), or null; slots are filled first-fit as the book does. */
const alternativeFailure = (
  alt: Alternative,
  adds: Additions,
  later: Graph,
  exact: boolean,
  sources: ReadonlySet<NodeId>,
): string | null => {
  const instances = alt.nodes.map((slot) => [...slot.instances]);
  const slotOf = new Map<NodeId, number>();
  instances.forEach((ids, i) => {
    for (const id of ids) slotOf.set(id, i);
  });
  // An instance of a slot that grows under a shape of its own is a boundary:
  // what grows inside it answers to that shape, not to this template.
  const boundaries = new Set(alt.nodes.flatMap((slot, i) => (slot.grows ? instances[i]! : [])));
  const inside = (creator: NodeId | null): boolean => {
    for (let c = creator; c !== null && !sources.has(c); c = later.node(c)?.createdBy ?? null)
      if (boundaries.has(c)) return true;
    return false;
  };
  for (const node of [...adds.staged, ...adds.nodes]) {
    if (inside(node.createdBy)) continue;
    const i = alt.nodes.findIndex(
      (slot, j) =>
        normalizeScript(slot.run) === normalizeScript(node.run) &&
        compileIdGlob(slot.id)(node.id) &&
        (!holdsOne(slot.count) || instances[j]!.length === 0),
    );
    if (i < 0) return `#${alt.index}: node ${node.id} fits no slot`;
    instances[i]!.push(node.id);
    slotOf.set(node.id, i);
    if (alt.nodes[i]!.grows) boundaries.add(node.id);
  }
  const role = (id: NodeId): string => {
    const slot = slotOf.get(id);
    return slot === undefined ? `node:${id}` : `slot:${slot}`;
  };
  const endRole = (end: Alternative["edges"][number]["from"]): string =>
    "slot" in end ? `slot:${end.slot}` : `node:${end.node}`;
  const roles = new Set(alt.edges.map((e) => pairKey(endRole(e.from), endRole(e.to))));
  const stray = adds.edges.find(
    (e) => !inside(e.createdBy) && !roles.has(pairKey(role(e.from), role(e.to))),
  );
  if (stray) return `#${alt.index}: edge ${stray.from} -> ${stray.to} is not in the template`;
  if (!exact) return null;
  const short = alt.nodes.findIndex((slot, i) => !countHolds(slot.count, instances[i]!.length));
  if (short >= 0)
    return `#${alt.index}: slot ${alt.nodes[short]!.id} has ${instances[short]!.length} node(s)`;
  for (const edge of alt.edges) {
    const ends = (end: typeof edge.from): readonly NodeId[] =>
      "slot" in end ? instances[end.slot]! : [end.node];
    for (const f of ends(edge.from)) {
      for (const t of ends(edge.to))
        if (!later.edge(f, t)) return `#${alt.index}: edge ${f} -> ${t} is missing`;
    }
  }
  return null;
};
