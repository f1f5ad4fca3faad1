import type { Attrs } from "../data/schema.js";
import { type Graph, type GraphNode, isSettled, type NodeStatus } from "../graph/graph.js";
import type { NodeId } from "../graph/ids.js";
import type { Mutation } from "../graph/mutations.js";
import { resolveShape } from "./resolve.js";
import type { NodePromiseDef, ShapeSet, Shapes } from "./schema.js";
import { PromiseState } from "./state.js";
import type {
  PromiseOrigin,
  PromiseProgress,
  PromiseRecord,
  PromiseRequest,
  PromiseRules,
  Violation,
} from "./types.js";

/**
 * A node's promises other than the run-wide ones, in the order made. Sets are
 * immutable and shared: a created node takes its creator's set as is, and a
 * new promise replaces the set of each node in its scope with a copy.
 */
type PromiseSet = readonly PromiseState[];

interface NodeEntry {
  set: PromiseSet;
  open: boolean;
}

const EMPTY_SET: PromiseSet = [];

/** A node that settled without succeeding: its scope did not complete. */
const isIncomplete = (status: NodeStatus): boolean =>
  status === "failed" || status === "blocked" || status === "cancelled";

/**
 * The promises of one run and what every scope has added so far.
 * Pure in-memory logic: the engine feeds it the run's events in order.
 *
 * - file nodes: `graph.addNode` then `registerNode`; file promises: `make`;
 * - a task's mutation: `check`; if null, structural checks, apply to the graph,
 *   then `record`; a task's promise: `make`;
 * - a node reaching a final status: `settle`.
 *
 * Each node keeps its effective set, computed once when it is created, so a
 * check costs the size of that set, never the size or depth of the graph.
 */
export class PromiseBook {
  readonly #graph: Graph;
  readonly #promises: PromiseState[] = [];
  readonly #global: PromiseState[] = [];
  readonly #nodes = new Map<NodeId, NodeEntry>();
  /** Every runtime mutation recorded, in order, for replay when a promise is made. */
  readonly #log: Mutation[] = [];
  readonly #logBySource = new Map<NodeId, number[]>();
  /** Shape promises in force by the existing nodes their templates give edges into. */
  readonly #holders = new Map<NodeId, PromiseState[]>();
  /** Per shape promise, its instances that are boundaries: what they add answers to their own shape. */
  readonly #boundaries = new Map<PromiseState, Set<NodeId>>();
  #shapes: Shapes = {};
  #openNodes = 0;
  #runIncomplete = false;

  /** Takes in whatever the graph already holds (e.g. when a run is resumed). */
  constructor(graph: Graph) {
    this.#graph = graph;
    for (const node of graph.nodes()) {
      if (node.createdBy === null) this.registerNode(node.id);
      else this.#admit(node);
    }
    for (const edge of graph.edges()) {
      if (edge.createdBy !== null) {
        this.#logMutation({
          kind: "add_edge",
          source: edge.createdBy,
          from: edge.from,
          to: edge.to,
        });
      }
    }
  }

  /** How many promises were ever made: the id the next one gets. */
  get made(): number {
    return this.#promises.length;
  }

  /** The workflow's named shapes, for `{"shape": {"ref": NAME}}`; set once, before any promise. */
  defineShapes(shapes: Shapes): void {
    this.#shapes = shapes;
  }

  shapeNames(): string[] {
    return Object.keys(this.#shapes);
  }

  /** A named shape of the workflow, or undefined. */
  namedShape(name: string): ShapeSet | undefined {
    return this.#shapes[name];
  }

  /** Every promise made, in the order made, including one that was broken as it was made. */
  all(): readonly PromiseRecord[] {
    return this.#promises.filter((state) => !state.withdrawn).map((state) => state.record);
  }

  /** The promises in force for `node`: run-wide, its own and every scope it is in, in the order made. */
  effective(node: NodeId): readonly PromiseRecord[] {
    return mergeById(this.#global, this.#setOf(node)).map((state) => state.record);
  }

  /**
   * The promises that judge what `node` (and what it creates) adds: its
   * effective ones, a shape dropped where `node` is inside one of that
   * shape's boundary instances (the instance's own shape judges it instead).
   */
  judging(node: NodeId): readonly PromiseRecord[] {
    return mergeById(this.#global, this.#setOf(node)).map((state) => {
      if (!state.shape || this.#shaped(state, node)) return state.record;
      const { shape: _judgedInside, ...rules } = state.record.rules;
      return { ...state.record, rules };
    });
  }

  /** Instances that are boundaries: given a shape by their slot, they grow under it. */
  boundaries(): ReadonlySet<NodeId> {
    const out = new Set<NodeId>();
    for (const inside of this.#boundaries.values()) for (const id of inside) out.add(id);
    return out;
  }

  /** Gives a workflow-file node (already in the graph) its effective set. Idempotent. */
  registerNode(id: NodeId): void {
    if (this.#nodes.has(id)) return;
    const node = this.#graph.node(id);
    const createdBy = node?.createdBy ?? null;
    const set = createdBy === null ? EMPTY_SET : this.#setOf(createdBy);
    const open = node === undefined || !isSettled(node.status);
    this.#nodes.set(id, { set, open });
    if (open) this.#openNodes++;
  }

  /**
   * Makes a promise: it reaches every node now in its scope and every node they
   * create. Returns a violation if what the scope has already added breaks it;
   * such a promise is listed by `all` but never comes into force.
   */
  make(p: PromiseRequest): Violation | null {
    const { shape, ...rest } = p.rules;
    const resolved = shape === undefined ? undefined : resolveShape(shape, this.#shapes, p.scope);
    const rules: PromiseRules =
      typeof resolved === "string" || resolved === undefined ? rest : { ...rest, shape: resolved };
    const state = new PromiseState({ ...p, rules, id: this.#promises.length });
    this.#promises.push(state);
    if (typeof resolved === "string") {
      state.inForce = false;
      return { ...state.shapeViolation(resolved), whenMade: true };
    }
    const members = p.scope === "*" ? null : this.#graph.scope(p.scope);
    const broken = this.#replay(state, members) ?? this.#completeOnMake(state, members);
    if (broken) {
      state.inForce = false;
      return { ...broken, whenMade: true };
    }
    if (members === null) this.#global.push(state);
    else this.#reach(state, members);
    for (const target of state.shape?.targets() ?? []) {
      const list = this.#holders.get(target);
      if (list) list.push(state);
      else this.#holders.set(target, [state]);
    }
    return null;
  }

  /** What setting `attrs` by `source`'s task would break (an `attrs` rule), or null. */
  checkAttrs(source: NodeId, attrs: Attrs, target: string): Violation | null {
    for (const list of [this.#global, this.#setOf(source)]) {
      for (const state of list) {
        const v = state.attrsViolation(attrs, target);
        if (v) return v;
      }
    }
    return null;
  }

  /**
   * Why `node` must not start yet, or null. A shape promise in force whose
   * templates give edges into `node` holds it back while its scope can still
   * add such an edge: some node of the scope, other than `node` and what runs
   * after it, has not settled. When the scope ended incomplete (a node of it
   * failed) without the edges it requires, `node` stays held: it must not
   * run on an incomplete input.
   */
  heldBack(node: NodeId): string | null {
    for (const state of this.#holders.get(node) ?? []) {
      const shape = state.shape!;
      const scope = state.record.scope;
      const promise = `promise #${state.record.id} (scope ${scope})`;
      const mayAdd = shape.requiresInto(node, false);
      if (mayAdd !== null && this.#scopeMayStillAdd(state, node)) {
        return `${promise} may still add edges ${mayAdd} into it`;
      }
      const missing = state.incomplete ? shape.requiresInto(node, true) : null;
      if (missing !== null) {
        return `${promise} requires edges ${missing}, and its scope ended without them (a node of it did not succeed)`;
      }
    }
    return null;
  }

  /**
   * Has the scope a node that can still run before `node` does, and so add an
   * edge into it that this shape judges (one not inside a boundary instance)?
   */
  #scopeMayStillAdd(state: PromiseState, node: NodeId): boolean {
    if (state.finalChecked) return false;
    const members = state.isGlobal ? this.#nodes.keys() : this.#graph.scope(state.record.scope);
    let after: ReadonlySet<NodeId> | null = null;
    for (const id of members) {
      if (id === node || !this.#nodes.get(id)?.open || !this.#shaped(state, id)) continue;
      after ??= this.#graph.descendants(node);
      if (!after.has(id)) return true;
    }
    return false;
  }

  /** What `m` would break, or null. Changes nothing. */
  check(m: Mutation): Violation | null {
    let first: Violation | null = null;
    for (const list of [this.#global, this.#setOf(m.source)]) {
      for (const state of list) {
        if (first && state.record.id > first.promise.id) break;
        const v = state.check(m, this.#graph, true, this.#shaped(state, m.source));
        if (v) {
          first = v;
          break;
        }
      }
    }
    return first;
  }

  /**
   * Records `m`, already applied to the graph; an added node inherits its
   * creator's set. Returns the violation when `m` fills a template slot whose
   * promises its new node is already bound to break (a shape whose edges go
   * into nodes that have started): the outer shape can then never be completed.
   */
  record(m: Mutation): Violation | null {
    const set = this.#setOf(m.source);
    const applying = mergeById(this.#global, set);
    for (const state of applying) {
      state.apply(m, this.#graph, true, this.#shaped(state, m.source));
    }
    this.#logMutation(m);
    let broken: Violation | null = null;
    if (m.kind === "add_node" && !this.#nodes.has(m.id)) {
      this.#nodes.set(m.id, { set, open: true });
      this.#openNodes++;
      for (const state of set) state.open++;
      for (const state of applying) broken ??= this.#giveSlotPromises(state, m);
    }
    if (broken === null) return null;
    // The slot's promise is made by this very addition, which so breaks it.
    const { whenMade: _madeBroken, ...violation } = broken;
    return { ...violation, mutation: m };
  }

  /**
   * Takes back what one attempt added, while its nodes are still in the graph:
   * the promises it made (by id) and its mutations. Every promise that counted
   * those mutations forgets its additions and replays what is left of them.
   */
  takeBack(mutations: readonly Mutation[], promises: readonly number[]): void {
    for (const id of promises) this.#withdraw(this.#promises[id]!);
    // Promises given to a slot instance are derived, not recorded: they go with it.
    const removed = new Set(mutations.flatMap((m) => (m.kind === "add_node" ? [m.id] : [])));
    for (const state of this.#promises) {
      if (!state.withdrawn && removed.has(state.record.scope)) this.#withdraw(state);
    }
    for (const inside of this.#boundaries.values()) for (const id of removed) inside.delete(id);
    const gone = new Set(mutations.map(mutationKey));
    const affected = new Set<PromiseState>(this.#global);
    for (const m of mutations) {
      for (const state of this.#setOf(m.source)) affected.add(state);
      if (m.kind !== "add_node") continue;
      const entry = this.#nodes.get(m.id);
      if (entry?.open) {
        this.#openNodes--;
        for (const state of entry.set) state.open--;
      }
      this.#nodes.delete(m.id);
    }
    const kept = this.#log.filter((m) => !gone.has(mutationKey(m)));
    this.#log.length = 0;
    this.#logBySource.clear();
    for (const m of kept) this.#logMutation(m);
    for (const state of affected) {
      if (state.withdrawn) continue;
      state.forgetAdditions();
      const members = state.isGlobal ? null : this.#graph.scope(state.record.scope);
      for (const m of this.#pastAdditions(members)) state.apply(m, this.#graph, false);
    }
  }

  /**
   * An added node that fills a template slot carrying promises is given them
   * for its own scope; with a `shape` among them it becomes a boundary of the
   * outer shape. They are derived, not recorded: replaying the same additions
   * makes them again.
   */
  #giveSlotPromises(state: PromiseState, m: Mutation & { kind: "add_node" }): Violation | null {
    const shape = state.record.rules.shape;
    const at = state.shape?.slotOf(m.id);
    if (!shape || !at || !this.#shaped(state, m.source)) return null;
    const [alt, slot] = at;
    const defs = shape.one_of[alt]!.nodes[slot]!.promises ?? [];
    let broken: Violation | null = null;
    defs.forEach((def, k) => {
      const origin = slotOrigin(
        state.record.origin,
        `.shape.one_of[${alt}].nodes[${slot}].promises[${k}]`,
      );
      const { scope: _self, ...rules } = def satisfies NodePromiseDef;
      broken ??= this.make({ scope: m.id, rules, origin, madeBy: state.record.madeBy });
      if (rules.shape) {
        const inside = this.#boundaries.get(state);
        if (inside) inside.add(m.id);
        else this.#boundaries.set(state, new Set([m.id]));
      }
    });
    return broken;
  }

  /** Does `state`'s shape judge what `source` adds: is `source` inside none of its boundary instances? */
  #shaped(state: PromiseState, source: NodeId): boolean {
    const inside = this.#boundaries.get(state);
    if (!inside) return true;
    const root = state.record.scope;
    for (let at: NodeId | null = source; at !== null && at !== root; ) {
      if (inside.has(at)) return false;
      at = this.#graph.node(at)?.createdBy ?? null;
    }
    return true;
  }

  /**
   * A node reached a final status. Runs the final `shape` check of every
   * promise whose scope thereby completed, unless a node of it failed, was
   * blocked or cancelled (then the run failed; no promise was broken).
   */
  settle(node: NodeId): Violation[] {
    const entry = this.#nodes.get(node);
    if (!entry?.open) return [];
    entry.open = false;
    this.#openNodes--;
    const status = this.#graph.node(node)?.status;
    const failed = status !== undefined && isIncomplete(status);
    if (failed) this.#runIncomplete = true;
    const violations: Violation[] = [];
    for (const state of entry.set) {
      state.open--;
      if (failed) state.incomplete = true;
      if (state.open === 0) this.#finalCheck(state, violations);
    }
    if (this.#openNodes === 0) {
      for (const state of this.#global) this.#finalCheck(state, violations);
    }
    return violations;
  }

  progress(id: number): PromiseProgress {
    const state = this.#promises[id];
    if (!state) throw new Error(`no promise #${id} in this run`);
    return state.isGlobal
      ? state.progress(this.#openNodes, this.#runIncomplete)
      : state.progress(state.open, state.incomplete);
  }

  #finalCheck(state: PromiseState, out: Violation[]): void {
    if (!state.shape || state.finalChecked) return;
    state.finalChecked = true;
    if (state.isGlobal ? this.#runIncomplete : state.incomplete) return;
    const why = state.shape.finalFailure(state.record.scope, this.#graph);
    if (why !== null) out.push(state.shapeViolation(why));
  }

  /** Replays the scope's past additions; the first one that breaks the promise, or null. */
  #replay(state: PromiseState, members: readonly NodeId[] | null): Violation | null {
    for (const m of this.#pastAdditions(members)) {
      const v = state.check(m, this.#graph, false);
      if (v) return v;
      state.apply(m, this.#graph, false);
    }
    const why = state.shape?.settleStarted(this.#graph) ?? null;
    return why === null ? null : state.shapeViolation(why);
  }

  /** Counts the scope's open nodes; if it has already completed, the shape's final check. */
  #completeOnMake(state: PromiseState, members: readonly NodeId[] | null): Violation | null {
    if (members !== null) {
      for (const id of members) {
        const entry = this.#entry(id);
        if (entry.open) state.open++;
        const status = this.#graph.node(id)?.status;
        if (status !== undefined && isIncomplete(status)) state.incomplete = true;
      }
    }
    const open = members === null ? this.#openNodes : state.open;
    // An empty graph has not started; its run-wide scope is not complete.
    if (open > 0 || this.#graph.size === 0) return null;
    const out: Violation[] = [];
    this.#finalCheck(state, out);
    return out[0] ?? null;
  }

  #pastAdditions(members: readonly NodeId[] | null): Mutation[] {
    if (members === null) return this.#log;
    const indices = members.flatMap((id) => this.#logBySource.get(id) ?? []);
    return indices.sort((a, b) => a - b).map((i) => this.#log[i]!);
  }

  /** Adds `state` to the set of every node in its scope, sharing the copies. */
  #reach(state: PromiseState, members: readonly NodeId[]): void {
    const copies = new Map<PromiseSet, PromiseSet>();
    for (const id of members) {
      const entry = this.#entry(id);
      let next = copies.get(entry.set);
      if (!next) {
        next = [...entry.set, state];
        copies.set(entry.set, next);
      }
      entry.set = next;
    }
  }

  /** A promise taken back: out of every set that holds it. */
  #withdraw(state: PromiseState): void {
    state.withdrawn = true;
    state.inForce = false;
    const global = this.#global.indexOf(state);
    if (global >= 0) this.#global.splice(global, 1);
    const copies = new Map<PromiseSet, PromiseSet>();
    for (const entry of this.#nodes.values()) {
      if (!entry.set.includes(state)) continue;
      let next = copies.get(entry.set);
      if (!next) {
        next = entry.set.filter((s) => s !== state);
        copies.set(entry.set, next);
      }
      entry.set = next;
    }
  }

  /** A node created by a task before this book existed: logged as its creator's addition. */
  #admit(node: GraphNode): void {
    this.#logMutation({
      kind: "add_node",
      source: node.createdBy!,
      id: node.id,
      run: node.run,
      args: node.args,
      params: node.params,
    });
    this.registerNode(node.id);
  }

  #logMutation(m: Mutation): void {
    const index = this.#log.length;
    this.#log.push(m);
    const mine = this.#logBySource.get(m.source);
    if (mine) mine.push(index);
    else this.#logBySource.set(m.source, [index]);
  }

  #entry(id: NodeId): NodeEntry {
    this.registerNode(id);
    return this.#nodes.get(id)!;
  }

  /** A node's own set; for a node never registered, its nearest registered creator's, without storing it. */
  #setOf(id: NodeId): PromiseSet {
    let current: NodeId | null = id;
    while (current !== null) {
      const entry = this.#nodes.get(current);
      if (entry) return entry.set;
      current = this.#graph.node(current)?.createdBy ?? null;
    }
    return EMPTY_SET;
  }
}

const mutationKey = (m: Mutation): string =>
  m.kind === "add_node" ? `node ${m.id}` : `edge ${m.from}\u0000${m.to}`;

/** Where a slot's promise was written: the outer promise's place, down to the slot. */
const slotOrigin = (outer: PromiseOrigin, path: string): PromiseOrigin =>
  outer.kind === "file" ? { ...outer, path: `${outer.path}${path}` } : outer;

/** Two id-ordered lists merged by id. */
const mergeById = (a: readonly PromiseState[], b: readonly PromiseState[]): PromiseState[] => {
  const out: PromiseState[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (y === undefined || (x !== undefined && x.record.id < y.record.id)) {
      out.push(x!);
      i++;
    } else {
      out.push(y);
      j++;
    }
  }
  return out;
};
