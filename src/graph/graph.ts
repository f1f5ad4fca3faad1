import type { NodeId } from "./ids.js";
import { DEFAULT_TRIGGER, type Trigger } from "./trigger.js";

export const NODE_STATUSES = [
  "pending",
  "running",
  "retrying",
  "waiting",
  "succeeded",
  "failed",
  "blocked",
  "skipped",
  "cancelled",
] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];

/** A node that will never run (again) in this run. */
export const isSettled = (status: NodeStatus): boolean =>
  status === "succeeded" ||
  status === "failed" ||
  status === "blocked" ||
  status === "skipped" ||
  status === "cancelled";

/** A node can still add to the graph while it has not finished: it may run (again). */
export const canStillMutate = (status: NodeStatus): boolean => !isSettled(status);

export interface GraphNode {
  readonly id: NodeId;
  readonly run: string;
  readonly args: readonly string[];
  readonly params: Readonly<Record<string, unknown>>;
  /** The node whose task added this one; null for nodes of the workflow file. */
  readonly createdBy: NodeId | null;
  /**
   * Creation order: ties between ready nodes are broken by it. A provisional
   * node takes its place when it commits, so that the order is commit order.
   */
  seq: number;
  status: NodeStatus;
  /** Why the node has its status, when it was given one. */
  reason: string | null;
  attempts: number;
  /** Which outcomes of its predecessors let it run. */
  readonly trigger: Trigger;
  /** Added by a task that is still running: shown, not committed. */
  provisional: boolean;
}

export interface GraphEdge {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly createdBy: NodeId | null;
  provisional: boolean;
}

/**
 * An edge marked as a loop: it runs back from `from` to `to`, an ancestor of
 * it (or itself) through ordinary edges, and is not one of them: ordinary
 * edges always form a DAG, and a loop edge neither orders nor blocks anything.
 * When `from` succeeds asking to go again, the loop's body runs once more, at
 * most `max` times in all.
 */
export interface LoopEdge {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly max: number;
  readonly createdBy: NodeId | null;
  provisional: boolean;
}

/** How many times a loop's body may run when its edge sets no `max`. */
export const DEFAULT_LOOP_MAX = 100;

export type NewNode = Pick<GraphNode, "id" | "run" | "args" | "params" | "createdBy"> &
  Partial<Pick<GraphNode, "status" | "attempts" | "provisional" | "trigger">>;

/**
 * A run's graph: nodes in creation order, edges as adjacency sets, the creator
 * tree (who added whom), and a topological order kept up to date incrementally
 * (Pearce–Kelly) so a cycle check visits only the region an edge reorders,
 * never the whole graph.
 */
export class Graph {
  readonly #nodes = new Map<NodeId, GraphNode>();
  readonly #edges = new Map<string, GraphEdge>();
  readonly #loops = new Map<string, LoopEdge>();
  readonly #succ = new Map<NodeId, Set<NodeId>>();
  readonly #pred = new Map<NodeId, Set<NodeId>>();
  readonly #created = new Map<NodeId, NodeId[]>();
  readonly #order = new Map<NodeId, number>();
  #nextOrder = 0;
  #nextSeq = 0;

  get size(): number {
    return this.#nodes.size;
  }

  get edgeCount(): number {
    return this.#edges.size;
  }

  node(id: NodeId): GraphNode | undefined {
    return this.#nodes.get(id);
  }

  has(id: NodeId): boolean {
    return this.#nodes.has(id);
  }

  /** Nodes in creation order. */
  nodes(): IterableIterator<GraphNode> {
    return this.#nodes.values();
  }

  /** Edges in creation order. */
  edges(): IterableIterator<GraphEdge> {
    return this.#edges.values();
  }

  edge(from: NodeId, to: NodeId): GraphEdge | undefined {
    return this.#edges.get(edgeKey(from, to));
  }

  /** Loop edges in creation order. */
  loops(): IterableIterator<LoopEdge> {
    return this.#loops.values();
  }

  loop(from: NodeId, to: NodeId): LoopEdge | undefined {
    return this.#loops.get(edgeKey(from, to));
  }

  /** The loop edge out of `from` (a node has at most one), if any. */
  loopFrom(from: NodeId): LoopEdge | undefined {
    for (const loop of this.#loops.values()) if (loop.from === from) return loop;
    return undefined;
  }

  /** Adds loop edge `from -> to`; the caller has checked it closes a cycle of ordinary edges. */
  addLoop(
    from: NodeId,
    to: NodeId,
    max: number,
    createdBy: NodeId | null,
    provisional = false,
  ): LoopEdge {
    const key = edgeKey(from, to);
    if (this.#loops.has(key)) throw new Error(`loop edge ${from} -> ${to} already exists`);
    const loop: LoopEdge = { from, to, max, createdBy, provisional };
    this.#loops.set(key, loop);
    return loop;
  }

  removeLoop(from: NodeId, to: NodeId): void {
    if (!this.#loops.delete(edgeKey(from, to))) throw new Error(`no loop edge ${from} -> ${to}`);
  }

  /**
   * The body of loop edge `from -> to`: every node on an ordinary path from
   * `to` to `from`, both included.
   */
  loopBody(from: NodeId, to: NodeId): Set<NodeId> {
    const body = new Set<NodeId>([to, from]);
    const upstreamOfFrom = this.ancestors(from);
    for (const id of this.descendants(to)) if (upstreamOfFrom.has(id)) body.add(id);
    return body;
  }

  /** Does `from` reach `to` through ordinary edges (or is it `to`)? */
  reaches(from: NodeId, to: NodeId): boolean {
    return from === to || this.descendants(from).has(to);
  }

  successors(id: NodeId): ReadonlySet<NodeId> {
    return this.#succ.get(id) ?? EMPTY;
  }

  predecessors(id: NodeId): ReadonlySet<NodeId> {
    return this.#pred.get(id) ?? EMPTY;
  }

  /** The nodes `id`'s task added directly, in creation order. */
  createdBy(id: NodeId): readonly NodeId[] {
    return this.#created.get(id) ?? [];
  }

  addNode(spec: NewNode): GraphNode {
    if (this.#nodes.has(spec.id)) throw new Error(`node ${spec.id} already exists`);
    const node: GraphNode = {
      id: spec.id,
      run: spec.run,
      args: spec.args,
      params: spec.params,
      createdBy: spec.createdBy,
      seq: this.#nextSeq++,
      status: spec.status ?? "pending",
      reason: null,
      attempts: spec.attempts ?? 0,
      trigger: spec.trigger ?? DEFAULT_TRIGGER,
      provisional: spec.provisional ?? false,
    };
    this.#nodes.set(node.id, node);
    this.#order.set(node.id, this.#nextOrder++);
    if (node.createdBy !== null) {
      const siblings = this.#created.get(node.createdBy);
      if (siblings) siblings.push(node.id);
      else this.#created.set(node.createdBy, [node.id]);
    }
    return node;
  }

  /** Adds `from -> to`; the caller has checked both exist and `wouldCycle` is false. */
  addEdge(from: NodeId, to: NodeId, createdBy: NodeId | null, provisional = false): GraphEdge {
    const key = edgeKey(from, to);
    if (this.#edges.has(key)) throw new Error(`edge ${from} -> ${to} already exists`);
    const cycle = this.#reorder(from, to);
    if (cycle) throw new Error(`edge ${from} -> ${to} would close a cycle`);
    const edge: GraphEdge = { from, to, createdBy, provisional };
    this.#edges.set(key, edge);
    adjacency(this.#succ, from).add(to);
    adjacency(this.#pred, to).add(from);
    return edge;
  }

  /** A provisional node became committed: it takes its place in creation order. */
  commitNode(id: NodeId): void {
    const node = this.#nodes.get(id)!;
    node.provisional = false;
    node.seq = this.#nextSeq++;
  }

  /** Takes back edge `from -> to`; the topological order stays valid without it. */
  removeEdge(from: NodeId, to: NodeId): void {
    if (!this.#edges.delete(edgeKey(from, to))) throw new Error(`no edge ${from} -> ${to}`);
    this.#succ.get(from)?.delete(to);
    this.#pred.get(to)?.delete(from);
  }

  /** Takes back node `id`, which must have no edges left and have created no node still here. */
  removeNode(id: NodeId): void {
    const node = this.#nodes.get(id);
    if (!node) throw new Error(`no node ${id}`);
    if (this.successors(id).size > 0 || this.predecessors(id).size > 0)
      throw new Error(`node ${id} still has edges`);
    for (const loop of this.#loops.values())
      if (loop.from === id || loop.to === id) throw new Error(`node ${id} still has a loop edge`);
    if (this.createdBy(id).length > 0) throw new Error(`node ${id} still has nodes it created`);
    this.#nodes.delete(id);
    this.#order.delete(id);
    this.#succ.delete(id);
    this.#pred.delete(id);
    this.#created.delete(id);
    if (node.createdBy !== null) {
      const siblings = this.#created.get(node.createdBy)!;
      siblings.splice(siblings.indexOf(id), 1);
    }
  }

  /**
   * Would `from -> to` close a cycle? Leaves the order untouched. Visits only
   * the nodes whose topological position lies between the two endpoints.
   */
  wouldCycle(from: NodeId, to: NodeId): boolean {
    if (from === to) return true;
    const upper = this.#order.get(from);
    const lower = this.#order.get(to);
    if (upper === undefined || lower === undefined || upper < lower) return false;
    return this.#forward(to, upper, new Set()) === "cycle";
  }

  /** Every node reachable from `id` through edges (excluding `id`). */
  descendants(id: NodeId): Set<NodeId> {
    return this.#reach(id, this.#succ);
  }

  /** Every node from which `id` is reachable (excluding `id`). */
  ancestors(id: NodeId): Set<NodeId> {
    return this.#reach(id, this.#pred);
  }

  /** `id` and every node it created, transitively: its scope. */
  scope(id: NodeId): NodeId[] {
    const out: NodeId[] = [];
    const stack = [id];
    while (stack.length > 0) {
      const current = stack.pop()!;
      out.push(current);
      for (const child of this.createdBy(current)) stack.push(child);
    }
    return out;
  }

  #reach(id: NodeId, next: Map<NodeId, Set<NodeId>>): Set<NodeId> {
    const seen = new Set<NodeId>();
    const stack = [id];
    while (stack.length > 0) {
      for (const n of next.get(stack.pop()!) ?? EMPTY) {
        if (!seen.has(n)) {
          seen.add(n);
          stack.push(n);
        }
      }
    }
    return seen;
  }

  /** Forward search from `start` over nodes ordered at most `upper`; reports "cycle" if it meets the node at `upper`. */
  #forward(start: NodeId, upper: number, seen: Set<NodeId>): "cycle" | "ok" {
    const stack = [start];
    seen.add(start);
    while (stack.length > 0) {
      const current = stack.pop()!;
      if (this.#order.get(current) === upper) return "cycle";
      for (const next of this.#succ.get(current) ?? EMPTY) {
        if (!seen.has(next) && (this.#order.get(next) ?? Number.POSITIVE_INFINITY) <= upper) {
          seen.add(next);
          stack.push(next);
        }
      }
    }
    return "ok";
  }

  /** Pearce–Kelly: restore a topological order after inserting `from -> to`. True on a cycle. */
  #reorder(from: NodeId, to: NodeId): boolean {
    if (from === to) return true;
    const upper = this.#order.get(from)!;
    const lower = this.#order.get(to)!;
    if (upper < lower) return false;
    const forward = new Set<NodeId>();
    if (this.#forward(to, upper, forward) === "cycle") return true;
    const backward = new Set<NodeId>([from]);
    const stack = [from];
    while (stack.length > 0) {
      for (const prev of this.#pred.get(stack.pop()!) ?? EMPTY) {
        if (!backward.has(prev) && this.#order.get(prev)! >= lower) {
          backward.add(prev);
          stack.push(prev);
        }
      }
    }
    const byOrder = (a: NodeId, b: NodeId) => this.#order.get(a)! - this.#order.get(b)!;
    const moved = [...[...backward].sort(byOrder), ...[...forward].sort(byOrder)];
    const slots = moved.map((id) => this.#order.get(id)!).sort((a, b) => a - b);
    moved.forEach((id, i) => {
      this.#order.set(id, slots[i]!);
    });
    return false;
  }
}

const EMPTY: ReadonlySet<NodeId> = new Set();

const edgeKey = (from: NodeId, to: NodeId): string => `${from}\u0000${to}`;

const adjacency = (map: Map<NodeId, Set<NodeId>>, id: NodeId): Set<NodeId> => {
  let set = map.get(id);
  if (!set) {
    set = new Set();
    map.set(id, set);
  }
  return set;
};
