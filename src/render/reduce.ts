import type { Envelope, Wildcard } from "../envelope/model.js";

/**
 * The targets worth drawing for each wildcard: a dashed edge to a node that
 * another target already reaches says nothing the picture does not show, so
 * only the first node along each path gets one. The JSON keeps them all. A
 * wildcard that may precede any node not started yet gets edges to the
 * pending nodes right after the node it hangs from.
 */
export const reducedTargets = (envelope: Envelope): ((w: Wildcard) => string[]) => {
  const successors = new Map<string, string[]>();
  for (const edge of envelope.edges) {
    // A loop edge orders nothing: what it leads back to does not come after.
    if (edge.loop) continue;
    const next = successors.get(edge.from);
    if (next) next.push(edge.to);
    else successors.set(edge.from, [edge.to]);
  }
  const pending = new Set(envelope.nodes.filter((n) => n.status === "pending").map((n) => n.id));
  return (w) => {
    // Any node not started yet: the first ones after where it hangs stand for the rest.
    if (w.may_precede_any) return (successors.get(w.from) ?? []).filter((t) => pending.has(t));
    if (w.may_precede.length <= 1) return w.may_precede;
    const reached = new Set<string>();
    const stack = w.may_precede.flatMap((t) => successors.get(t) ?? []);
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (reached.has(id)) continue;
      reached.add(id);
      stack.push(...(successors.get(id) ?? []));
    }
    return w.may_precede.filter((t) => !reached.has(t));
  };
};
