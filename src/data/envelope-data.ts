import type { Envelope } from "../envelope/model.js";
import { edgeKey, type RunData } from "./run-data.js";

/**
 * The envelope with what the run's data says of its nodes and edges: declared
 * inputs and outputs, and cosmetic attributes. A stack shows its first member's.
 */
export const withData = (envelope: Envelope, data: RunData): Envelope => ({
  ...envelope,
  nodes: envelope.nodes.map((node) => {
    const inputs = data.bindings.get(node.id);
    const outputs = data.declaredOutputs.get(node.id);
    const attrs = data.nodeAttrs.get(node.id);
    return {
      ...node,
      ...(inputs === undefined ? {} : { inputs: { ...inputs } }),
      ...(outputs === undefined ? {} : { outputs: { ...outputs } }),
      ...(attrs === undefined ? {} : { attrs }),
    };
  }),
  edges: envelope.edges.map((edge) => {
    const attrs = data.edgeAttrs.get(edgeKey(edge.from, edge.to));
    return attrs === undefined ? edge : { ...edge, attrs };
  }),
});
