import type { Graph } from "../graph/graph.js";
import type { NodeId } from "../graph/ids.js";
import type { ShapeSet, Template } from "../promises/schema.js";
import type { PromiseProgress, PromiseRecord } from "../promises/types.js";
import type { Alternative, Grows, NodeAdditions, Slot, TemplateEnd } from "./model.js";
import { innerShape, type LiveAlternative, liveAlternatives, slotRoom } from "./rules.js";

/** The workflow's named shapes, by name. */
export type NamedShape = (name: string) => ShapeSet | undefined;

/**
 * The `one_of` alternatives of a shape promise that its scope can still
 * become, each with what it still takes: slot room and the implied edges
 * between existing nodes not added yet.
 */
export const shapeAlternatives = (
  promise: PromiseRecord,
  progress: PromiseProgress,
  graph: Graph,
  nodes: NodeAdditions,
  named: NamedShape,
  runsAgain: ReadonlySet<NodeId>,
  staged: Graph,
): Alternative[] =>
  liveAlternatives(promise, progress)
    .map((alt) => toAlternative(alt, graph, nodes, named))
    .filter((alt) => !blockedForever(alt, graph, runsAgain, staged));

const toAlternative = (
  alt: LiveAlternative,
  graph: Graph,
  nodes: NodeAdditions,
  named: NamedShape,
): Alternative => {
  const slots = alt.template.nodes.map((slot, i) =>
    toSlot(slot, alt.progress.instances[i]!, nodes, named),
  );
  const edges = templateEnds(alt.template).map(({ from, to }) => ({
    from,
    to,
    missing: missingPairs(instancesOf(from, slots, graph), instancesOf(to, slots, graph), graph),
  }));
  return { index: alt.progress.index, nodes: slots, edges };
};

const toSlot = (
  slot: Template["nodes"][number],
  instances: readonly NodeId[],
  nodes: NodeAdditions,
  named: NamedShape,
): Slot => {
  const [min, max] = slotRoom(slot.count, instances.length);
  const cap = nodes === false ? 0 : nodes.max;
  const grows = growsOf(slot, named);
  return {
    id: slot.id,
    run: slot.run,
    count: slot.count,
    instances: [...instances],
    min,
    max: cap === null ? max : Math.min(max ?? cap, cap),
    ...(grows ? { grows } : {}),
  };
};

/**
 * What each instance of the slot grows into, one level down: the closed form
 * of a recursive shape names itself instead of unrolling.
 */
const growsOf = (slot: Template["nodes"][number], named: NamedShape): Grows | undefined => {
  const shape = innerShape(slot);
  if (shape === undefined) return undefined;
  const oneOf = shape.ref === undefined ? shape.one_of : named(shape.ref)?.one_of;
  return {
    ref: shape.ref ?? null,
    one_of: (oneOf ?? []).map((t) => ({
      nodes: t.nodes.map((s) => ({
        id: s.id,
        run: s.run,
        count: s.count,
        grows_ref: innerShape(s)?.ref ?? null,
      })),
      edges: t.edges.map((e) => ({ from: e.from, to: e.to })),
    })),
  };
};

/** Template edge ends as the shape resolves them: a slot's id verbatim names the (first) slot, anything else a node. */
const templateEnds = (template: Template): { from: TemplateEnd; to: TemplateEnd }[] => {
  const resolve = (name: string): TemplateEnd => {
    const slot = template.nodes.findIndex((s) => s.id === name);
    return slot >= 0 ? { slot } : { node: name };
  };
  const seen = new Set<string>();
  const out: { from: TemplateEnd; to: TemplateEnd }[] = [];
  for (const edge of template.edges) {
    const from = resolve(edge.from);
    const to = resolve(edge.to);
    const key = JSON.stringify([from, to]);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ from, to });
  }
  return out;
};

export const instancesOf = (
  end: TemplateEnd,
  slots: readonly Slot[],
  graph: Graph,
): readonly NodeId[] => {
  if ("slot" in end) return slots[end.slot]?.instances ?? [];
  return graph.has(end.node) ? [end.node] : [];
};

const missingPairs = (
  from: readonly NodeId[],
  to: readonly NodeId[],
  graph: Graph,
): [NodeId, NodeId][] => {
  const out: [NodeId, NodeId][] = [];
  for (const f of from) {
    for (const t of to) if (!graph.edge(f, t)) out.push([f, t]);
  }
  return out;
};

/**
 * An implied edge into a named node that has started (and that no loop may
 * run again) can never be added: the promise book rules such an alternative
 * out at the scope's next mutation. An edge a running attempt has staged
 * (in `staged`) is not missing: it commits if the attempt succeeds.
 */
const blockedForever = (
  alt: Alternative,
  graph: Graph,
  runsAgain: ReadonlySet<NodeId>,
  staged: Graph,
): boolean =>
  alt.edges.some(
    (edge) =>
      "node" in edge.to &&
      edge.missing.some(([from, to]) => !staged.edge(from, to)) &&
      graph.node(edge.to.node)?.status !== "pending" &&
      // A loop may reset it to pending, and the edge may then be added.
      !runsAgain.has(edge.to.node),
  );

/**
 * Existing nodes an alternative may still add an edge into: the ends of its
 * missing edges, and whatever a slot that still takes nodes must lead into.
 */
export const alternativeTargets = (alt: Alternative): NodeId[] => {
  const out: NodeId[] = [];
  for (const edge of alt.edges) {
    for (const [, to] of edge.missing) out.push(to);
    if ("slot" in edge.from && alt.nodes[edge.from.slot]!.max !== 0) {
      out.push(...("node" in edge.to ? [edge.to.node] : alt.nodes[edge.to.slot]!.instances));
    }
  }
  return out;
};

/** Does the alternative still take any node? */
export const alternativeTakesNodes = (alt: Alternative): boolean =>
  alt.nodes.some((slot) => slot.max !== 0);
