import { closest, distance } from "fastest-levenshtein";
import type { NodeId } from "../graph/ids.js";
import type { ResolvedShape, ShapeRule, Shapes, Template } from "./schema.js";

/** ` (did you mean "NAME"?)` for a name close to one of `names`, else empty. */
export const didYouMean = (name: string, names: readonly string[]): string => {
  if (names.length === 0) return "";
  const best = closest(name, [...names]);
  return distance(name, best) <= Math.max(2, Math.floor(name.length / 3))
    ? ` (did you mean "${best}"?)`
    : "";
};

/** Why `ref` names no shape of `shapes`, in words. */
export const unknownShape = (ref: string, shapes: Shapes): string => {
  const names = Object.keys(shapes);
  const known = names.length === 0 ? "the workflow names no shapes" : `shapes: ${names.join(", ")}`;
  return `shape ref "${ref}" names no shape of the workflow${didYouMean(ref, names)} (${known})`;
};

/** `$self` in a template edge is the scope's root. */
const withSelf = (template: Template, scope: NodeId | "*"): Template => {
  if (scope === "*") return template;
  const end = (name: string) => (name === "$self" ? scope : name);
  return {
    nodes: template.nodes,
    edges: template.edges.map((e) => ({ from: end(e.from), to: end(e.to) })),
  };
};

/**
 * A shape as a promise for `scope` holds it: a `ref` replaced by the named
 * templates (kept by name, for drawing), `$self` in template edges by the
 * scope. Slot promises stay as written: their `$self` is each instance.
 * Returns why it cannot be resolved instead, for an unknown `ref`.
 */
export const resolveShape = (
  shape: ShapeRule,
  shapes: Shapes,
  scope: NodeId | "*",
): ResolvedShape | string => {
  const named = shape.ref === undefined ? shape : shapes[shape.ref];
  if (named?.one_of === undefined) return unknownShape(shape.ref ?? "", shapes);
  const oneOf = named.one_of.map((t) => withSelf(t, scope));
  return shape.ref === undefined ? { one_of: oneOf } : { one_of: oneOf, ref: shape.ref };
};
