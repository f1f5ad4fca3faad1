import { impliedPredecessors } from "../data/bindings.js";
import { schemaProblem } from "../data/json-schema.js";
import { edgeKey } from "../data/run-data.js";
import { nodeDataOf } from "../data/schema.js";
import type { NodeId } from "../graph/ids.js";
import type { PromiseDef } from "../promises/schema.js";
import type { Violation } from "../promises/types.js";
import { validatePromise } from "../promises/validate.js";
import type { DecodedLine } from "../protocol/decode.js";
import type { AddNodeMessage, TaskMessage } from "../protocol/messages.js";
import type { MutationEvent } from "../state/events.js";
import type { RunState } from "../state/run-state.js";
import { errorMessage } from "../util/error-message.js";
import { taskTypeIssues } from "../workflow/plugin-checks.js";
import { policyOf } from "../workflow/policy.js";
import { type Catalog, discoverPlugins } from "../workflow/python-steps.js";
import { taskRefOf } from "../workflow/task-ref.js";
import { CONTINUE, type LineVerdict } from "./lines.js";

export interface AttemptLimits {
  /** Most nodes a run may hold. */
  readonly maxNodes: number;
  /** Most mutations (nodes, edges, promises) one attempt may make. */
  readonly maxMutations: number;
}

/**
 * What one running attempt has said so far: every message passes through
 * `onLine`, which checks each mutation the moment it arrives and applies it to
 * the run state as provisional. Nothing here touches the store.
 */
export class AttemptSession {
  /** Every accepted mutation, in order: what a commit appends to the history. */
  readonly mutations: MutationEvent[] = [];
  /** How many of `mutations` were handed to the store to stage (see `takeUnstaged`). */
  #staged = 0;
  /** Edges implied by bindings of nodes this attempt added (`from -> to`). */
  readonly #implied = new Set<string>();
  /** The run's task types, discovered when the attempt first adds a `uses` node. */
  #catalog: Catalog | null = null;
  /** Nodes and edges the attempt added, in order: what a commit makes permanent. */
  readonly addedNodes: NodeId[] = [];
  readonly addedEdges: (readonly [NodeId, NodeId])[] = [];
  outputs: Record<string, unknown> | null = null;
  /** Whether the task asked for its loop's body to run once more (`again`). */
  again = false;
  /** What the task asked a person (its last `ask`), or null. */
  asked: { readonly prompt: string; readonly schema: Record<string, unknown> } | null = null;
  /** Set when a mutation broke a promise: the run must end. */
  violations: readonly Violation[] = [];

  constructor(
    private state: RunState,
    private readonly node: NodeId,
    private readonly limits: AttemptLimits,
  ) {}

  /**
   * The run state was rebuilt (a restart took nodes back): this attempt's
   * accepted mutations are provisional in `state` now, and it checks against it.
   */
  moveTo(state: RunState): void {
    this.state = state;
  }

  /** The accepted mutations since the last call, for the store to stage. */
  takeUnstaged(): MutationEvent[] {
    const batch = this.mutations.slice(this.#staged);
    this.#staged = this.mutations.length;
    return batch;
  }

  readonly onLine = (decoded: DecodedLine): LineVerdict => {
    if (decoded.kind === "invalid") return { stop: true, reason: decoded.error };
    if (decoded.kind !== "message") return CONTINUE;
    const verdict = this.#handle(decoded.message, decoded.line);
    if (!verdict.stop || this.violations.length > 0) return verdict;
    return { stop: true, reason: `stdout line ${decoded.line}: ${verdict.reason}` };
  };

  #handle(message: TaskMessage, line: number): LineVerdict {
    switch (message.type) {
      case "add_node": {
        const refused = this.#taskTypeRefusal(message);
        if (refused !== null) return { stop: true, reason: refused };
        const policy = this.state.runtimePolicy(this.node, policyOf(message));
        const verdict = this.#propose({
          type: "node_added",
          id: message.id,
          run: taskRefOf(message),
          args: message.args,
          params: message.params,
          created_by: this.node,
          ...(Object.keys(policy).length > 0 ? { policy } : {}),
          ...(message.trigger === undefined ? {} : { trigger: message.trigger }),
          ...nodeDataOf(message),
        });
        if (verdict.stop) return verdict;
        const implied = this.#impliedEdges(message.id, [
          ...message.depends_on,
          ...impliedPredecessors(message.inputs).map((binding) => binding.from),
        ]);
        if (implied.stop) return implied;
        for (const promise of message.promises) {
          const scope =
            promise.scope === undefined || promise.scope === "$self" ? message.id : promise.scope;
          const made = this.#promise({ ...promise, scope }, line);
          if (made.stop) return made;
        }
        return CONTINUE;
      }
      case "add_edge":
        // The edge a binding already implied: the same edge given again is one edge.
        if (message.loop !== true && this.#implied.has(edgeKey(message.from, message.to))) {
          if (message.attrs === undefined) return CONTINUE;
          return this.#propose({
            type: "attrs_set",
            edge: { from: message.from, to: message.to },
            attrs: message.attrs,
            created_by: this.node,
          });
        }
        return this.#propose({
          type: "edge_added",
          from: message.from,
          to: message.to,
          created_by: this.node,
          ...(message.attrs === undefined ? {} : { attrs: message.attrs }),
          ...(message.loop === true
            ? { loop: true, ...(message.max === undefined ? {} : { max: message.max }) }
            : {}),
        });
      case "set_attrs":
        return this.#propose({
          type: "attrs_set",
          ...(message.node === undefined ? {} : { node: message.node }),
          ...(message.edge === undefined ? {} : { edge: message.edge }),
          attrs: message.attrs,
          created_by: this.node,
        });
      case "promise": {
        const { type: _, ...promise } = message;
        return this.#promise(
          { ...promise, scope: promise.scope === "$self" ? this.node : promise.scope },
          line,
        );
      }
      case "log":
        return CONTINUE;
      case "output":
        this.outputs = { ...this.outputs, ...message.values };
        return CONTINUE;
      case "again":
        this.again = true;
        return CONTINUE;
      case "ask": {
        const problem = schemaProblem(message.schema);
        if (problem !== null) return { stop: true, reason: `ask: the schema is ${problem}` };
        this.asked = { prompt: message.prompt, schema: message.schema };
        return CONTINUE;
      }
    }
  }

  /** Edges implied by a new node's `depends_on` and bindings, added as mutations of this attempt. */
  #impliedEdges(to: NodeId, froms: readonly NodeId[]): LineVerdict {
    for (const from of froms) {
      const key = edgeKey(from, to);
      if (this.#implied.has(key)) continue;
      const verdict = this.#propose({ type: "edge_added", from, to, created_by: this.node });
      if (verdict.stop) return verdict;
      this.#implied.add(key);
    }
    return CONTINUE;
  }

  /** Why an added node's task type cannot run (unknown type or engine, bad params), or null. */
  #taskTypeRefusal(message: AddNodeMessage): string | null {
    if (message.uses === undefined) return null;
    try {
      this.#catalog ??= discoverPlugins(this.state.pluginFolders);
    } catch (error) {
      return `add_node ${message.id}: cannot discover the task types: ${errorMessage(error)}`;
    }
    const issues = taskTypeIssues(
      this.#catalog,
      message.uses,
      message.params,
      `add_node ${message.id}`,
    );
    return issues.length === 0 ? null : issues.map((i) => `${i.path}: ${i.message}`).join("; ");
  }

  #promise(promise: PromiseDef, line: number): LineVerdict {
    const problems = validatePromise(promise, {
      path: "promise",
      nodeExists: (id) => this.state.graph.has(id),
      allowSelf: false,
    });
    if (problems.length > 0) {
      return { stop: true, reason: problems.map((p) => `${p.path}: ${p.message}`).join("; ") };
    }
    return this.#propose({
      type: "promise_made",
      promise,
      origin: { kind: "message", node: this.node, line },
      made_by: this.node,
    });
  }

  #propose(event: MutationEvent): LineVerdict {
    if (this.mutations.length >= this.limits.maxMutations) {
      return {
        stop: true,
        reason: `more than ${this.limits.maxMutations} mutations from one task (--max-mutations)`,
      };
    }
    if (event.type === "node_added" && this.state.graph.size >= this.limits.maxNodes) {
      return {
        stop: true,
        reason: `the run would exceed ${this.limits.maxNodes} nodes (--max-nodes)`,
      };
    }
    const refusal = this.state.refusal(event);
    if (refusal?.kind === "structural") return { stop: true, reason: refusal.message };
    const broken =
      refusal?.kind === "promise" ? [refusal.violation] : this.state.apply(event, true);
    if (broken.length > 0) {
      this.violations = broken;
      return { stop: true, reason: "it broke a promise" };
    }
    this.mutations.push(event);
    if (event.type === "node_added") this.addedNodes.push(event.id);
    else if (event.type === "edge_added" && event.loop !== true)
      this.addedEdges.push([event.from, event.to]);
    return CONTINUE;
  }
}
