import type { Graph } from "../graph/graph.js";
import type { NodeId } from "../graph/ids.js";
import type { BindingSource } from "./bindings.js";
import type { Attrs, Binding, JsonSchema } from "./schema.js";

export const edgeKey = (from: string, to: string): string => `${from} -> ${to}`;

/**
 * The data side of a run as a fold of its events: what each node declares
 * (outputs, input bindings), the cosmetic attributes of nodes and edges, the
 * run's parameters, and the inputs each node started with.
 */
export class RunData {
  readonly declaredOutputs = new Map<NodeId, Readonly<Record<string, JsonSchema>>>();
  readonly bindings = new Map<NodeId, Readonly<Record<string, Binding>>>();
  readonly nodeAttrs = new Map<NodeId, Attrs>();
  /** By `edgeKey(from, to)`. */
  readonly edgeAttrs = new Map<string, Attrs>();
  readonly inputs = new Map<NodeId, Readonly<Record<string, unknown>>>();
  runParams: Readonly<Record<string, unknown>> = {};

  declare(
    id: NodeId,
    node: {
      readonly outputs?: Record<string, JsonSchema> | undefined;
      readonly inputs?: Record<string, Binding> | undefined;
    },
  ): void {
    if (node.outputs !== undefined) this.declaredOutputs.set(id, node.outputs);
    if (node.inputs !== undefined) this.bindings.set(id, node.inputs);
  }

  /** Attributes merged over those a node or edge already has. */
  paint(
    target: { node?: NodeId | undefined; edge?: { from: NodeId; to: NodeId } | undefined },
    attrs: Attrs,
  ): void {
    if (target.node !== undefined) {
      this.nodeAttrs.set(target.node, { ...this.nodeAttrs.get(target.node), ...attrs });
    } else if (target.edge !== undefined) {
      const key = edgeKey(target.edge.from, target.edge.to);
      this.edgeAttrs.set(key, { ...this.edgeAttrs.get(key), ...attrs });
    }
  }

  /** What `id`'s bindings read: succeeded nodes' outputs, its predecessors, the run's parameters. */
  bindingSource(
    graph: Graph,
    outputs: ReadonlyMap<NodeId, Readonly<Record<string, unknown>>>,
    id: NodeId,
  ): BindingSource {
    const predecessors = [...graph.predecessors(id)].sort(
      (a, b) => graph.node(a)!.seq - graph.node(b)!.seq,
    );
    return {
      predecessors,
      runParams: this.runParams,
      outputsOf: (node) =>
        graph.node(node)?.status === "succeeded" ? (outputs.get(node) ?? {}) : undefined,
    };
  }
}
