import type { Envelope, EnvelopeJson, EnvelopeMeta } from "../envelope/model.js";

/** The `.json` output: the envelope as is, plus what it is of (schema: `EnvelopeJsonSchema`). */
export const toEnvelopeJson = (envelope: Envelope, meta: EnvelopeMeta): EnvelopeJson => ({
  format: "orch-envelope/1",
  title: meta.title,
  stats: {
    nodes: envelope.nodes.reduce((n, node) => n + node.count, 0),
    edges: envelope.edges.reduce((n, edge) => n + edge.count, 0),
    wildcards: envelope.wildcards.length,
  },
  nodes: envelope.nodes,
  edges: envelope.edges,
  wildcards: envelope.wildcards,
  note: envelope.note,
});

export function toJson(envelope: Envelope, meta: EnvelopeMeta): string {
  return `${JSON.stringify(toEnvelopeJson(envelope, meta), null, 2)}\n`;
}
