import { Graph, isSettled } from "../graph/graph.js";
import type { NodeId } from "../graph/ids.js";
import { type Mutation, structuralError } from "../graph/mutations.js";
import { PromiseBook } from "../promises/book.js";
import type { Violation } from "../promises/types.js";
import { type ResolvedPolicy, resolvePolicy, type TaskPolicy } from "../workflow/policy.js";
import type { MutationEvent, RunEvent } from "./events.js";
import type { RunStatus } from "./run-status.js";

/** Why a task's mutation was refused: a structural error fails the task, a broken promise ends the run. */
export type Refusal =
  | { readonly kind: "structural"; readonly message: string }
  | { readonly kind: "promise"; readonly violation: Violation };

/**
 * A run's graph and promises as a fold of its events. The engine applies each
 * event as it happens; readers (status, graph, resume) rebuild it from the store.
 */
export class RunState {
  readonly graph = new Graph();
  readonly book = new PromiseBook(this.graph);
  readonly outputs = new Map<NodeId, Readonly<Record<string, unknown>>>();
  readonly policies = new Map<NodeId, TaskPolicy>();
  defaults: TaskPolicy = {};
  /** Where `uses` nodes' task types are found, besides orch's built-ins. */
  pluginFolders: readonly string[] = [];
  status: RunStatus = "running";
  reason: string | null = null;

  static replay(events: Iterable<RunEvent>, provisional: Iterable<MutationEvent> = []): RunState {
    const state = new RunState();
    for (const event of events) state.apply(event);
    for (const event of provisional) state.apply(event, true);
    return state;
  }

  /** Would this mutation of a running task be refused? Changes nothing. */
  refusal(event: MutationEvent): Refusal | null {
    const mutation = toMutation(event);
    if (!mutation) return null;
    const violation = this.book.check(mutation);
    if (violation) return { kind: "promise", violation };
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
        });
        if (event.policy) this.policies.set(event.id, event.policy);
        const mutation = toMutation(event);
        if (mutation) this.book.record(mutation);
        else this.book.registerNode(event.id);
        return NONE;
      }
      case "edge_added": {
        this.graph.addEdge(event.from, event.to, event.created_by, provisional);
        const mutation = toMutation(event);
        if (mutation) this.book.record(mutation);
        return NONE;
      }
      case "promise_made": {
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
        node.attempts = Math.max(node.attempts, event.attempt);
        return !wasSettled && isSettled(event.status) ? this.book.settle(event.id) : NONE;
      }
      case "output":
        this.outputs.set(event.id, event.values);
        return NONE;
      case "defaults":
        this.defaults = event.policy;
        return NONE;
      case "plugins":
        this.pluginFolders = event.folders;
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

  /** A running task's provisional nodes and edges became committed. */
  commit(nodes: Iterable<NodeId>, edges: Iterable<readonly [NodeId, NodeId]>): void {
    for (const id of nodes) this.graph.node(id)!.provisional = false;
    for (const [from, to] of edges) this.graph.edge(from, to)!.provisional = false;
  }
}

const NONE: readonly Violation[] = [];

const toMutation = (event: MutationEvent): Mutation | null => {
  if (event.type === "promise_made" || event.created_by === null) return null;
  return event.type === "node_added"
    ? {
        kind: "add_node",
        source: event.created_by,
        id: event.id,
        run: event.run,
        args: event.args,
        params: event.params,
      }
    : { kind: "add_edge", source: event.created_by, from: event.from, to: event.to };
};
