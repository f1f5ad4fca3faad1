import { edgeKey, RunData } from "../data/run-data.js";
import { DEFAULT_LOOP_MAX, Graph, isSettled } from "../graph/graph.js";
import type { NodeId } from "../graph/ids.js";
import { type Mutation, structuralError } from "../graph/mutations.js";
import { PromiseBook } from "../promises/book.js";
import type { Violation } from "../promises/types.js";
import { describeExecutor, sameExecutor } from "../workflow/executor-spec.js";
import { type ResolvedPolicy, resolvePolicy, type TaskPolicy } from "../workflow/policy.js";
import type { AttrsSet, MutationEvent, RunEvent } from "./events.js";
import type { RunStatus } from "./run-status.js";

/** Why a task's mutation was refused: a structural error fails the task, a broken promise ends the run. */
export type Refusal =
  | { readonly kind: "structural"; readonly message: string }
  | { readonly kind: "promise"; readonly violation: Violation };

/** What one running attempt has added so far: provisional until it commits or is discarded. */
interface Overlay {
  readonly nodes: NodeId[];
  readonly edges: (readonly [NodeId, NodeId])[];
  readonly loops: (readonly [NodeId, NodeId])[];
  /** Ids of the promises it made, in the promise book. */
  readonly promises: number[];
  readonly mutations: Mutation[];
  /** What puts back the attributes it painted, in the order painted. */
  readonly unpaint: (() => void)[];
}

/**
 * A run's graph and promises as a fold of its events. The engine applies each
 * event as it happens; readers (status, graph, resume) rebuild it from the store.
 *
 * The committed state carries one overlay per running attempt (keyed by its
 * node: a node runs one attempt at a time): the mutations it made, applied as
 * provisional, so every check sees the committed graph plus every overlay.
 */
export class RunState {
  readonly graph = new Graph();
  readonly book = new PromiseBook(this.graph);
  readonly outputs = new Map<NodeId, Readonly<Record<string, unknown>>>();
  readonly policies = new Map<NodeId, TaskPolicy>();
  /** Failed attempts per node since its last reset: what its retries are counted against. */
  readonly failures = new Map<NodeId, number>();
  /** When each `retrying` node's next attempt is due (ISO 8601). */
  readonly nextAttemptAt = new Map<NodeId, string>();
  readonly #overlays = new Map<NodeId, Overlay>();
  readonly data = new RunData();
  /** What each `waiting` node asked. */
  readonly asks = new Map<
    NodeId,
    { readonly prompt: string; readonly schema: Readonly<Record<string, unknown>> }
  >();
  /** The answers each node was given, in order: its next attempts start with them. */
  readonly answers = new Map<NodeId, unknown[]>();
  /** The iteration each node last started in, when it runs in a loop's body. */
  readonly iterations = new Map<NodeId, number>();
  /** Per loop edge (`from -> to` key), the iteration its body is in, from the second on. */
  readonly loopIterations = new Map<string, number>();
  /** Per loop source, its outputs of the iteration that ended last: what the loop's target binds. */
  readonly carried = new Map<NodeId, Readonly<Record<string, unknown>>>();
  /** Loop sources that succeeded asking to go again, whose loop has not gone again yet. */
  readonly againDue = new Set<NodeId>();
  defaults: TaskPolicy = {};
  preload: readonly string[] = [];
  /** Whether tasks may give the nodes they add another executor than their own. */
  runtimeExecutors = false;
  /** Where `uses` nodes' task types are found, besides orch's built-ins. */
  pluginFolders: readonly string[] = [];
  status: RunStatus = "running";
  reason: string | null = null;

  static replay(events: Iterable<RunEvent>, provisional: Iterable<MutationEvent> = []): RunState {
    const state = new RunState();
    for (const event of withoutTakenBack([...events])) state.apply(event);
    for (const event of provisional) state.apply(event, true);
    return state;
  }

  /** Would this mutation of a running task be refused? Changes nothing. */
  refusal(event: MutationEvent): Refusal | null {
    if (event.type === "attrs_set") return this.#attrsRefusal(event);
    const mutation = toMutation(event);
    if (!mutation) return null;
    const foreign = this.#foreignProvisional(mutation);
    if (foreign !== null) return { kind: "structural", message: foreign };
    const violation = this.book.check(mutation);
    if (violation) return { kind: "promise", violation };
    if (event.type === "node_added" && event.created_by !== null) {
      const message = this.#executorRefusal(event.id, event.created_by, event.policy ?? {});
      if (message !== null) return { kind: "structural", message };
    }
    const message = structuralError(this.graph, mutation);
    return message === null ? null : { kind: "structural", message };
  }

  /**
   * Apply one event. Returns the promises it broke: a promise already broken when
   * made, or shape promises whose scope just completed without matching a template.
   */
  apply(event: RunEvent, provisional = false): readonly Violation[] {
    switch (event.type) {
      case "node_added": {
        this.graph.addNode({
          id: event.id,
          run: event.run,
          args: event.args,
          params: event.params,
          createdBy: event.created_by,
          provisional,
          ...(event.trigger === undefined ? {} : { trigger: event.trigger }),
        });
        if (event.policy) this.policies.set(event.id, event.policy);
        this.data.declare(event.id, event);
        if (event.attrs) this.data.paint({ node: event.id }, event.attrs);
        const mutation = toMutation(event);
        const broken = mutation ? this.book.record(mutation) : null;
        if (!mutation) this.book.registerNode(event.id);
        if (provisional && mutation) {
          const overlay = this.#overlay(mutation.source);
          overlay.nodes.push(event.id);
          overlay.mutations.push(mutation);
        }
        return broken ? [broken] : NONE;
      }
      case "edge_added": {
        const loop = event.loop === true;
        if (loop)
          this.graph.addLoop(
            event.from,
            event.to,
            event.max ?? DEFAULT_LOOP_MAX,
            event.created_by,
            provisional,
          );
        else this.graph.addEdge(event.from, event.to, event.created_by, provisional);
        const unpaint = event.attrs ? this.data.paint({ edge: event }, event.attrs) : null;
        const mutation = toMutation(event);
        if (mutation) this.book.record(mutation);
        if (provisional && mutation) {
          const overlay = this.#overlay(mutation.source);
          (loop ? overlay.loops : overlay.edges).push([event.from, event.to]);
          overlay.mutations.push(mutation);
          if (unpaint) overlay.unpaint.push(unpaint);
        }
        return NONE;
      }
      case "promise_made": {
        if (provisional && event.made_by !== null)
          this.#overlay(event.made_by).promises.push(this.book.made);
        const { scope, ...rules } = event.promise;
        const violation = this.book.make({
          scope,
          rules,
          origin: event.origin,
          madeBy: event.made_by,
        });
        return violation ? [violation] : NONE;
      }
      case "node_status": {
        const node = this.graph.node(event.id);
        if (!node) throw new Error(`history names unknown node ${event.id}`);
        const wasSettled = isSettled(node.status);
        node.status = event.status;
        node.reason = event.reason;
        node.attempts = Math.max(node.attempts, event.attempt);
        if (event.iteration !== undefined) this.iterations.set(event.id, event.iteration);
        if (event.next_attempt_at === undefined) this.nextAttemptAt.delete(event.id);
        else this.nextAttemptAt.set(event.id, event.next_attempt_at);
        return !wasSettled && isSettled(event.status) ? this.book.settle(event.id) : NONE;
      }
      case "attempt_started": {
        const node = this.graph.node(event.id);
        if (!node) throw new Error(`history names unknown node ${event.id}`);
        node.attempts = Math.max(node.attempts, event.attempt);
        return NONE;
      }
      case "attempt_ended":
        if (event.status === "failed")
          this.failures.set(event.id, (this.failures.get(event.id) ?? 0) + 1);
        if (event.again === true) this.againDue.add(event.id);
        return NONE;
      case "output":
        this.outputs.set(event.id, event.values);
        return NONE;
      case "shapes":
        this.book.defineShapes(event.shapes);
        return NONE;
      case "attrs_set": {
        const unpaint = this.data.paint(event, event.attrs);
        if (provisional && event.created_by !== null)
          this.#overlay(event.created_by).unpaint.push(unpaint);
        return NONE;
      }
      case "inputs":
        this.data.inputs.set(event.id, event.values);
        return NONE;
      case "run_params":
        this.data.runParams = event.params;
        return NONE;
      case "defaults":
        this.defaults = event.policy;
        this.runtimeExecutors = event.runtime_executors ?? false;
        return NONE;
      case "preload":
        this.preload = event.modules;
        return NONE;
      case "plugins":
        this.pluginFolders = event.folders;
        return NONE;
      case "asked":
        this.asks.set(event.id, { prompt: event.prompt, schema: event.schema });
        return NONE;
      case "answered":
        this.asks.delete(event.id);
        this.answers.set(event.id, [...(this.answers.get(event.id) ?? []), event.value]);
        return NONE;
      case "loop_again":
        this.loopIterations.set(loopKey(event.from, event.to), event.iteration);
        this.carried.set(event.from, event.outputs);
        this.againDue.delete(event.from);
        return NONE;
      case "command":
      case "nodes_reset":
        return NONE;
      case "run_status":
        this.status = event.status;
        this.reason = event.reason;
        return NONE;
    }
  }

  /** How `node` is run: its own policy over the run's defaults. */
  policy(node: NodeId): ResolvedPolicy {
    return resolvePolicy(this.policies.get(node) ?? {}, this.defaults);
  }

  /** The iteration loop edge `from -> to`'s body is in (1 until it goes again). */
  loopIteration(from: NodeId, to: NodeId): number {
    return this.loopIterations.get(loopKey(from, to)) ?? 1;
  }

  /**
   * The iteration `id` runs in: that of the innermost loop whose body holds it
   * or the node that added it; null outside every loop.
   */
  iterationOf(id: NodeId): number | null {
    let innermost: { size: number; iteration: number } | null = null;
    for (const loop of this.graph.loops()) {
      if (loop.provisional) continue;
      const body = this.graph.loopBody(loop.from, loop.to);
      let member: NodeId | null = id;
      while (member !== null && !body.has(member))
        member = this.graph.node(member)?.createdBy ?? null;
      if (member === null || (innermost !== null && innermost.size <= body.size)) continue;
      innermost = { size: body.size, iteration: this.loopIteration(loop.from, loop.to) };
    }
    return innermost?.iteration ?? null;
  }

  /** The running attempt of `source` succeeded: what it added is committed. */
  commitOverlay(source: NodeId): void {
    const overlay = this.#overlays.get(source);
    if (!overlay) return;
    this.#overlays.delete(source);
    for (const id of overlay.nodes) this.graph.commitNode(id);
    for (const [from, to] of overlay.edges) this.graph.edge(from, to)!.provisional = false;
    for (const [from, to] of overlay.loops) this.graph.loop(from, to)!.provisional = false;
  }

  /**
   * The running attempt of `source` ended without succeeding: what it added is
   * taken back, from the promise book and the graph, without a replay of the run.
   */
  discardOverlay(source: NodeId): void {
    const overlay = this.#overlays.get(source);
    if (!overlay) return;
    this.#overlays.delete(source);
    this.book.takeBack(overlay.mutations, overlay.promises);
    for (const unpaint of overlay.unpaint.toReversed()) unpaint();
    for (const [from, to] of overlay.edges.toReversed()) this.graph.removeEdge(from, to);
    for (const [from, to] of overlay.loops.toReversed()) this.graph.removeLoop(from, to);
    for (const id of overlay.nodes.toReversed()) {
      this.graph.removeNode(id);
      this.policies.delete(id);
      this.data.forget(id);
    }
  }

  #overlay(source: NodeId): Overlay {
    let overlay = this.#overlays.get(source);
    if (!overlay) {
      overlay = { nodes: [], edges: [], loops: [], promises: [], mutations: [], unpaint: [] };
      this.#overlays.set(source, overlay);
    }
    return overlay;
  }

  /**
   * A mutation naming a node another running attempt added: that node is not
   * there for it (it may yet vanish), and its id is taken.
   */
  #foreignProvisional(m: Mutation): string | null {
    const foreign = (id: NodeId) => {
      const node = this.graph.node(id);
      return node?.provisional === true && node.createdBy !== m.source ? node : undefined;
    };
    if (m.kind === "add_node") {
      const taken = foreign(m.id);
      return taken
        ? `node ${m.id} already exists (added by ${taken.createdBy}, which is still running)`
        : null;
    }
    for (const end of [m.from, m.to]) {
      const other = foreign(end);
      if (other)
        return `edge ${m.from} -> ${m.to} names unknown node ${end} (only ${other.createdBy}, still running, has added it)`;
    }
    return null;
  }

  /** Why a task may not set these attrs: the node or edge does not exist, or a promise forbids it. */
  #attrsRefusal(event: AttrsSet): Refusal | null {
    const { node, edge } = event;
    const target = edge === undefined ? `node ${node}` : `edge ${edgeKey(edge.from, edge.to)}`;
    const exists =
      edge === undefined ? this.graph.has(node ?? "") : !!this.graph.edge(edge.from, edge.to);
    if (!exists) return { kind: "structural", message: `set_attrs names unknown ${target}` };
    if (event.created_by === null) return null;
    const violation = this.book.checkAttrs(event.created_by, event.attrs, `of ${target}`);
    return violation === null ? null : { kind: "promise", violation };
  }

  /**
   * The policy of a node `creator` adds at runtime: it runs with its creator's
   * executor unless it names one.
   */
  runtimePolicy(creator: NodeId, policy: TaskPolicy): TaskPolicy {
    if (policy.executor !== undefined) return policy;
    const executor = this.policy(creator).executor;
    return sameExecutor(executor, resolvePolicy({}, this.defaults).executor)
      ? policy
      : { ...policy, executor };
  }

  #executorRefusal(id: NodeId, creator: NodeId, policy: TaskPolicy): string | null {
    if (this.runtimeExecutors || policy.executor === undefined) return null;
    const own = this.policy(creator).executor;
    if (sameExecutor(policy.executor, own)) return null;
    return (
      `add_node ${id}: its executor ${describeExecutor(policy.executor)} differs from its creator's ` +
      `(${describeExecutor(own)}); a task may choose another executor for the nodes it adds only ` +
      `when the workflow sets "runtime_executors": true`
    );
  }
}

const NONE: readonly Violation[] = [];

const loopKey = (from: NodeId, to: NodeId): string => `${from}\u0000${to}`;

const toMutation = (event: MutationEvent): Mutation | null => {
  if (event.type === "promise_made" || event.type === "attrs_set" || event.created_by === null)
    return null;
  const source = event.created_by;
  const attrs = event.attrs === undefined ? {} : { attrs: event.attrs };
  switch (event.type) {
    case "node_added":
      return {
        kind: "add_node",
        source,
        id: event.id,
        run: event.run,
        args: event.args,
        params: event.params,
        ...attrs,
      };
    case "edge_added":
      return {
        kind: "add_edge",
        source,
        from: event.from,
        to: event.to,
        ...attrs,
        ...(event.loop === true ? { loop: { max: event.max ?? DEFAULT_LOOP_MAX } } : {}),
      };
  }
};

/**
 * The history with every event a later `nodes_reset` took back left out: what
 * the removed nodes were and did, and what the reset nodes did but start.
 */
export const withoutTakenBack = (events: readonly RunEvent[]): RunEvent[] => {
  const kept: RunEvent[] = [];
  const reset = new Set<NodeId>();
  const removed = new Set<NodeId>();
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i]!;
    if (event.type === "nodes_reset") {
      for (const id of event.reset) reset.add(id);
      for (const id of event.removed) removed.add(id);
      continue;
    }
    if (!takenBack(event, reset, removed)) kept.push(event);
  }
  return kept.reverse();
};

const takenBack = (
  event: RunEvent,
  reset: ReadonlySet<NodeId>,
  removed: ReadonlySet<NodeId>,
): boolean => {
  const touched = (id: NodeId | null | undefined) =>
    id !== null && id !== undefined && (reset.has(id) || removed.has(id));
  switch (event.type) {
    case "node_added":
      return removed.has(event.id);
    case "edge_added":
      return removed.has(event.from) || removed.has(event.to) || touched(event.created_by);
    case "promise_made":
      return touched(event.made_by);
    case "attrs_set":
      return touched(event.created_by);
    case "attempt_started":
      return removed.has(event.id);
    case "loop_again":
      // A later iteration of an enclosing loop, or a restart of the loop's target, starts it over.
      return touched(event.to);
    case "node_status":
    case "attempt_ended":
    case "output":
    case "inputs":
    case "asked":
    case "answered":
      return touched(event.id);
    default:
      return false;
  }
};
