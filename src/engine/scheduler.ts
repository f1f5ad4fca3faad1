import type { Graph } from "../graph/graph.js";
import type { NodeId } from "../graph/ids.js";

/** Why a ready node must not start yet (a promise may still add edges into it), or null. */
export type HoldBack = (id: NodeId) => string | null;

/**
 * Which node runs next: a pending node whose predecessors all succeeded, or a
 * retrying one whose next attempt is due, that no promise holds back, the
 * earliest created first. Counts unmet predecessors per node so picking the
 * next node never scans the graph.
 */
export class Scheduler {
  readonly #unmet = new Map<NodeId, number>();
  readonly #ready = new MinHeap();
  /** Ready nodes held back, with why; looked at again whenever a node succeeds. */
  readonly #held = new Map<NodeId, string>();

  constructor(
    private readonly graph: Graph,
    private readonly heldBack: HoldBack = () => null,
  ) {
    for (const node of graph.nodes()) this.#track(node.id);
  }

  /** Ready nodes that are held back, with why: when nothing else can run, they never will. */
  held(): ReadonlyMap<NodeId, string> {
    return this.#held;
  }

  /** A task's mutations were committed: its new nodes, then its new edges (already in the graph). */
  committed(nodes: readonly NodeId[], edges: readonly (readonly [NodeId, NodeId])[]): void {
    const added = new Set(nodes);
    for (const id of nodes) this.#track(id);
    for (const [from, to] of edges) {
      // New nodes counted every predecessor when tracked; older ones learn of the edge here.
      if (!added.has(to) && this.graph.node(from)?.status !== "succeeded") {
        this.#unmet.set(to, (this.#unmet.get(to) ?? 0) + 1);
      }
    }
  }

  succeeded(id: NodeId): void {
    for (const held of this.#held.keys()) this.#ready.push(this.graph.node(held)!.seq, held);
    this.#held.clear();
    for (const next of this.graph.successors(id)) {
      const left = (this.#unmet.get(next) ?? 1) - 1;
      this.#unmet.set(next, left);
      if (left === 0) this.#ready.push(this.graph.node(next)!.seq, next);
    }
  }

  /** A retrying node's next attempt is due: it is ready again. */
  due(id: NodeId): void {
    this.#ready.push(this.graph.node(id)!.seq, id);
  }

  /** The next node to run, or undefined when nothing is ready. */
  next(): NodeId | undefined {
    for (;;) {
      const id = this.#ready.pop();
      if (id === undefined) return undefined;
      const node = this.graph.node(id);
      const runnable = node?.status === "pending" || node?.status === "retrying";
      if (!runnable || this.#unmet.get(id) !== 0) continue;
      const why = this.heldBack(id);
      if (why === null) return id;
      this.#held.set(id, why);
    }
  }

  #track(id: NodeId): void {
    const node = this.graph.node(id)!;
    let unmet = 0;
    for (const prev of this.graph.predecessors(id)) {
      if (this.graph.node(prev)?.status !== "succeeded") unmet += 1;
    }
    this.#unmet.set(id, unmet);
    if (unmet === 0 && node.status === "pending") this.#ready.push(node.seq, id);
  }
}

/** A binary min-heap of ids keyed by creation order. */
class MinHeap {
  readonly #keys: number[] = [];
  readonly #ids: NodeId[] = [];

  push(key: number, id: NodeId): void {
    this.#keys.push(key);
    this.#ids.push(id);
    let i = this.#keys.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.#keys[parent]! <= key) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  pop(): NodeId | undefined {
    if (this.#ids.length === 0) return undefined;
    const top = this.#ids[0];
    const lastKey = this.#keys.pop()!;
    const lastId = this.#ids.pop()!;
    if (this.#ids.length > 0) {
      this.#keys[0] = lastKey;
      this.#ids[0] = lastId;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < this.#keys.length && this.#keys[left]! < this.#keys[smallest]!) smallest = left;
        if (right < this.#keys.length && this.#keys[right]! < this.#keys[smallest]!)
          smallest = right;
        if (smallest === i) break;
        this.#swap(i, smallest);
        i = smallest;
      }
    }
    return top;
  }

  #swap(a: number, b: number): void {
    [this.#keys[a], this.#keys[b]] = [this.#keys[b]!, this.#keys[a]!];
    [this.#ids[a], this.#ids[b]] = [this.#ids[b]!, this.#ids[a]!];
  }
}
