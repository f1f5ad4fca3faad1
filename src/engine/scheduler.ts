import { type Graph, isSettled } from "../graph/graph.js";
import type { NodeId } from "../graph/ids.js";
import { triggerVerdict, type Upstream } from "../graph/trigger.js";

/** A node settled without running, because of its trigger. */
export interface Judged {
  readonly id: NodeId;
  readonly status: "blocked" | "skipped";
  readonly reason: string;
}

/** Records judged nodes: once it returns, their new status is in the graph. */
export type RecordJudged = (judged: readonly Judged[]) => void;

/** Why a ready node must not start yet (a promise may still add edges into it), or null. */
export type HoldBack = (id: NodeId) => string | null;

/**
 * Which node runs next: a pending node whose predecessors all settled and whose
 * trigger holds, or a retrying one whose next attempt is due, that no promise
 * holds back, the earliest created first. Counts unsettled predecessors per
 * node so picking the next node never scans the graph; once they all
 * settled, `judge` evaluates the node's trigger.
 */
export class Scheduler {
  readonly #unsettled = new Map<NodeId, number>();
  readonly #ready = new MinHeap();
  /** Pending nodes whose predecessors all settled, not yet judged by their trigger. */
  #decidable: NodeId[] = [];
  /** Ready nodes held back, with why; looked at again whenever a node settles. */
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
      if (added.has(to)) continue;
      if (isSettled(this.graph.node(from)!.status)) this.#judgeAgain(to);
      else this.#unsettled.set(to, (this.#unsettled.get(to) ?? 0) + 1);
    }
  }

  /** Node `id` reached a status it keeps: its successors may now be judged. */
  settled(id: NodeId): void {
    for (const held of this.#held.keys()) this.#ready.push(this.graph.node(held)!.seq, held);
    this.#held.clear();
    for (const next of this.graph.successors(id)) {
      const left = (this.#unsettled.get(next) ?? 1) - 1;
      this.#unsettled.set(next, left);
      if (left === 0) this.#decidable.push(next);
    }
  }

  /**
   * Evaluate the trigger of every pending node whose predecessors all settled:
   * it becomes ready, or blocked or skipped (`record` writes that), which
   * settles it in turn, and so on downstream, one wave at a time.
   */
  judge(record: RecordJudged): void {
    for (let wave = this.#takeDecidable(); wave.length > 0; wave = this.#takeDecidable()) {
      const judged: Judged[] = [];
      for (const id of wave) {
        const verdict = triggerVerdict(this.graph.node(id)!.trigger, this.#upstream(id));
        if (verdict.kind === "run") this.#ready.push(this.graph.node(id)!.seq, id);
        else judged.push({ id, status: verdict.kind, reason: verdict.because });
      }
      if (judged.length === 0) continue;
      record(judged);
      for (const { id } of judged) this.settled(id);
    }
  }

  #takeDecidable(): NodeId[] {
    const out = this.#decidable.filter((id) => {
      const node = this.graph.node(id);
      return node?.status === "pending" && !node.provisional && this.#unsettled.get(id) === 0;
    });
    this.#decidable = [];
    return [...new Set(out)];
  }

  /** The committed predecessors of `id` and their statuses. */
  #upstream(id: NodeId): Upstream[] {
    return [...this.graph.predecessors(id)]
      .filter((from) => !this.graph.edge(from, id)!.provisional)
      .map((from) => ({ id: from, status: this.graph.node(from)!.status }));
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
      if (!runnable || this.#unsettled.get(id) !== 0) continue;
      const why = this.heldBack(id);
      if (why === null) return id;
      this.#held.set(id, why);
    }
  }

  /** A settled predecessor was added to `id`: its trigger is judged again, if it is still pending. */
  #judgeAgain(id: NodeId): void {
    if (this.#unsettled.get(id) === 0) this.#decidable.push(id);
  }

  #track(id: NodeId): void {
    let unsettled = 0;
    for (const prev of this.graph.predecessors(id)) {
      if (!isSettled(this.graph.node(prev)!.status)) unsettled += 1;
    }
    this.#unsettled.set(id, unsettled);
    if (unsettled === 0) this.#decidable.push(id);
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
