import { z } from "zod";

/**
 * The promise language of DESIGN §6. Every rule is optional; all rules of one
 * promise must hold for every mutation whose source is in the promise's scope.
 * Semantic checks that need the graph (globs compile, template edges name a slot
 * or a node, scopes name a node) live in `validate.ts`.
 */

/** An id glob (picomatch syntax), matched against whole node ids. */
export const IdGlobSchema = z.string().min(1, "a glob must not be empty");

/** The run-wide scope, a node id, or `$self` (only in task messages). */
export const ScopeSchema = z.string().min(1, "a scope names a node, `*` or `$self`");

export const NodesRuleSchema = z.union([
  z.literal(false),
  z.strictObject({
    ids: z.array(IdGlobSchema).optional(),
    run: z.array(z.string().min(1)).optional(),
    max: z.number().int().nonnegative().optional(),
  }),
]);

/** An edge endpoint in a rule: an id glob, `$self` (the emitting node) or `$new` (a node the scope added). */
export const EdgeEndpointSchema = z.string().min(1);

export const EdgePatternSchema = z.strictObject({
  from: EdgeEndpointSchema,
  to: EdgeEndpointSchema,
});

export const EdgesRuleSchema = z.union([z.literal(false), z.array(EdgePatternSchema)]);

export const SlotCountSchema = z.enum(["1", "?", "*", "+"]);

export const TemplateSlotSchema = z.strictObject({
  id: IdGlobSchema,
  run: z.string().min(1),
  count: SlotCountSchema.default("1"),
});

/** An endpoint of a template edge: a slot (its `id` glob, verbatim) or an existing node id. */
export const TemplateEdgeSchema = z.strictObject({
  from: z.string().min(1),
  to: z.string().min(1),
});

export const TemplateSchema = z.strictObject({
  nodes: z.array(TemplateSlotSchema).default([]),
  edges: z.array(TemplateEdgeSchema).default([]),
});

export const ShapeRuleSchema = z.strictObject({
  one_of: z.array(TemplateSchema).min(1, "one_of needs at least one template"),
});

const ruleShape = {
  nodes: NodesRuleSchema.optional(),
  edges: EdgesRuleSchema.optional(),
  no_edges_from: z.array(IdGlobSchema).optional(),
  no_edges_to: z.array(IdGlobSchema).optional(),
  shape: ShapeRuleSchema.optional(),
};

/** A promise as written in a workflow file or a `promise` message. */
export const PromiseSchema = z.strictObject({ scope: ScopeSchema, ...ruleShape });

/** A promise carried by a node (workflow file or `add_node`): its scope defaults to that node. */
export const NodePromiseSchema = z.strictObject({ scope: ScopeSchema.optional(), ...ruleShape });

export type PromiseDef = z.infer<typeof PromiseSchema>;
export type NodePromiseDef = z.infer<typeof NodePromiseSchema>;
export type NodesRule = z.infer<typeof NodesRuleSchema>;
export type EdgesRule = z.infer<typeof EdgesRuleSchema>;
export type EdgePattern = z.infer<typeof EdgePatternSchema>;
export type Template = z.infer<typeof TemplateSchema>;
export type TemplateSlot = z.infer<typeof TemplateSlotSchema>;
export type SlotCount = z.infer<typeof SlotCountSchema>;
export type ShapeRule = z.infer<typeof ShapeRuleSchema>;
