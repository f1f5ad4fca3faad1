import { z } from "zod";
import { AttrsSchema, BindingSchema, JsonSchemaSchema } from "../data/schema.js";
import { NODE_STATUSES } from "../graph/graph.js";
import { TriggerSchema } from "../graph/trigger.js";

/**
 * The envelope: the graph as it is now plus wildcards for
 * everything that may still be added. The model is exactly what `.json`
 * output carries (snake_case, as in the rest of orch's JSON), so programs and
 * renderers read the same thing. Documented field by field in docs/graph.md.
 */

export const NodeStatusSchema = z.enum(NODE_STATUSES);

/** How many nodes are in each state (states with none left out). */
export const StateCountsSchema = z.partialRecord(NodeStatusSchema, z.number().int().positive());

export const EnvelopeNodeSchema = z.strictObject({
  /** The node's id; for a stack, the id of its first member. */
  id: z.string(),
  /** Its state; for a stack, its least finished member's (pending, then in flight, then settled). */
  status: NodeStatusSchema,
  /** Its members counted by state: `{"succeeded": 80, "running": 2, "pending": 38}`. */
  states: StateCountsSchema,
  /** Added by a task that is still running: it may yet be discarded. */
  provisional: z.boolean(),
  script: z.string(),
  created_by: z.string().nullable(),
  /** How many nodes this one stands for: more than 1 for a stack of siblings of the same shape. */
  count: z.number().int().positive(),
  /** The ids of the nodes it stands for, in creation order (just `[id]` unless stacked). */
  members: z.array(z.string()).min(1),
  /** The node's declared input bindings, when it has any. */
  inputs: z.record(z.string(), BindingSchema).optional(),
  /** The node's declared outputs (JSON Schemas), when it declares them. */
  outputs: z.record(z.string(), JsonSchemaSchema).optional(),
  /** Its cosmetic attributes, when set. */
  attrs: AttrsSchema.optional(),
  /** Which outcomes of its predecessors let it run, when not the default (all_succeeded). */
  trigger: TriggerSchema.optional(),
  /**
   * What a loop going again would do to it (to a member, for a stack): `"again"`,
   * reset to run again; `"taken_back"`, removed with what it added. Absent when
   * no loop that may still go again reaches it.
   */
  loop_reset: z.enum(["again", "taken_back"]).optional(),
});

export const EnvelopeEdgeSchema = z.strictObject({
  from: z.string(),
  to: z.string(),
  provisional: z.boolean(),
  created_by: z.string().nullable(),
  /** How many edges this one stands for (between stacks: every member to every member). */
  count: z.number().int().positive(),
  /** Its cosmetic attributes, when set. */
  attrs: AttrsSchema.optional(),
  /**
   * Set on a loop edge: it runs back from `from` to an ancestor (or itself), and
   * the body between them runs again while `from` asks, at most `max` times in all.
   * It orders nothing: it is drawn as a back edge.
   */
  loop: z.literal(true).optional(),
  /** A loop edge's bound: how many times its body may run. */
  max: z.number().int().positive().optional(),
});

/** A list of globs of which an id must match at least one. */
const GlobListSchema = z.array(z.string());

export const NodeAdditionsSchema = z.union([
  z.literal(false),
  z.strictObject({
    /** Every added id matches at least one glob of each list (one list per promise); `[]` means any id. */
    ids: z.array(GlobListSchema),
    /** The scripts added nodes may run; null means any. */
    run: z.array(z.string()).nullable(),
    /** At most this many more nodes; null means no bound. */
    max: z.number().int().nonnegative().nullable(),
  }),
]);

export const EdgePatternListSchema = z.strictObject({
  /** The scope of the promise the patterns come from: what `$new` refers to. */
  scope: z.string(),
  /** `loop`: the pattern matches loop edges only (else ordinary edges only). */
  patterns: z.array(
    z.strictObject({ from: z.string(), to: z.string(), loop: z.boolean().optional() }),
  ),
});

export const EdgeAdditionsSchema = z.union([
  z.literal(false),
  z.strictObject({
    /** Every added edge matches a pattern of each list; `$self` is the node adding the edge. */
    match: z.array(EdgePatternListSchema),
    no_edges_from: z.array(z.string()),
    no_edges_to: z.array(z.string()),
  }),
]);

export const WildcardRulesSchema = z.strictObject({
  nodes: NodeAdditionsSchema,
  edges: EdgeAdditionsSchema,
});

/** What each instance of a slot grows into: the shape its slot's promises give it. */
export const GrowsSchema = z.strictObject({
  /** The named shape, when given by `ref`: a recursive structure names the shape it is part of. */
  ref: z.string().nullable(),
  /** Its templates, one level: slots (with counts) and edges, `$self` being the instance. */
  one_of: z.array(
    z.strictObject({
      nodes: z.array(
        z.strictObject({
          id: z.string(),
          run: z.string(),
          count: z.enum(["1", "?", "*", "+"]),
          /** The named shape this slot's instances grow into in turn, if any. */
          grows_ref: z.string().nullable(),
        }),
      ),
      edges: z.array(z.strictObject({ from: z.string(), to: z.string() })),
    }),
  ),
});

/** How many, across earlier runs: the smallest, the largest and the median. */
export const CountRangeSchema = z.strictObject({
  min: z.number().int().nonnegative(),
  max: z.number().int().nonnegative(),
  median: z.number().nonnegative(),
});

export const SlotSchema = z.strictObject({
  /** The slot's id glob, as in the template. */
  id: z.string(),
  run: z.string(),
  count: z.enum(["1", "?", "*", "+"]),
  /** Nodes already added into this slot. */
  instances: z.array(z.string()),
  /** How many more nodes the slot takes: at least `min`, at most `max` (null: no bound). */
  min: z.number().int().nonnegative(),
  max: z.number().int().nonnegative().nullable(),
  /** Present when each instance is given a shape of its own (a nested or recursive structure). */
  grows: GrowsSchema.optional(),
  /** Earlier runs that ended as this slot's option: how many instances the slot had in them. */
  history: CountRangeSchema.optional(),
});

export const TemplateEndSchema = z.union([
  z.strictObject({ slot: z.number().int().nonnegative() }),
  z.strictObject({ node: z.string() }),
]);

export const TemplateEdgeSchema = z.strictObject({
  from: TemplateEndSchema,
  to: TemplateEndSchema,
  /** Edges this template edge implies between nodes that exist, not added yet. */
  missing: z.array(z.tuple([z.string(), z.string()])),
});

export const AlternativeSchema = z.strictObject({
  /** Index in the shape's `one_of`. */
  index: z.number().int().nonnegative(),
  nodes: z.array(SlotSchema),
  edges: z.array(TemplateEdgeSchema),
  /** With earlier runs of the workflow: how many of them ended as this option. */
  history: z.strictObject({ runs: z.number().int().nonnegative() }).optional(),
});

export const WildcardSchema = z.strictObject({
  id: z.string(),
  /** The node it hangs from: the root of the scope whose promises bound it, or the node itself. */
  from: z.string(),
  /** That scope's root (the node whose scope it is), or null for a node in no promise's scope. */
  scope: z.string().nullable(),
  /** The nodes (pending or running) whose additions, and those of what they create, it stands for. */
  sources: z.array(z.string()).min(1),
  /** What may be added, all promises in force for the sources combined. */
  rules: WildcardRulesSchema,
  label: z.string(),
  /**
   * True when its edges are bounded by no pattern or shape: an edge it adds may
   * lead into any node not started yet that does not run before all its
   * sources (and that `rules.edges` allows), and into what any wildcard adds.
   * The rule stands in for the lists, which are then empty: listing every
   * such node for every wildcard would grow with the square of the graph.
   */
  may_precede_any: z.boolean(),
  /** Existing nodes that an edge it adds may lead into (empty when `may_precede_any`). */
  may_precede: z.array(z.string()),
  /** Other wildcards into whose future nodes an edge it adds may lead (empty when `may_precede_any`). */
  may_precede_wildcards: z.array(z.string()),
  /** With a `shape` promise: what its scope adds is exactly one of these. */
  alternatives: z.array(AlternativeSchema).optional(),
  /**
   * Present when earlier runs of the same workflow (by name) ended: how many
   * (the latest, at most 20) and how many nodes the same scope added in them.
   */
  history: z
    .strictObject({ runs: z.number().int().positive(), added: CountRangeSchema })
    .optional(),
});

export const EnvelopeSchema = z.strictObject({
  nodes: z.array(EnvelopeNodeSchema),
  edges: z.array(EnvelopeEdgeSchema),
  wildcards: z.array(WildcardSchema),
  /**
   * Set when the run has no promise at all: every task may add anything, and
   * the drawing shows this one note instead of a wildcard on every node.
   */
  note: z.string().nullable(),
});

/** The `.json` output of `orch graph`: the envelope plus what it is of. */
export const EnvelopeJsonSchema = EnvelopeSchema.extend({
  format: z.literal("orch-envelope/1"),
  title: z.string(),
  /** Node and edge counts, a stack counting as its members. */
  stats: z.strictObject({
    nodes: z.number().int().nonnegative(),
    edges: z.number().int().nonnegative(),
    wildcards: z.number().int().nonnegative(),
  }),
}).meta({
  title: "orch envelope",
  description:
    "The graph of a run as it is now, plus a wildcard for everything that may still be added.",
});

export type Envelope = z.infer<typeof EnvelopeSchema>;
export type EnvelopeJson = z.infer<typeof EnvelopeJsonSchema>;
export type EnvelopeNode = z.infer<typeof EnvelopeNodeSchema>;
export type StateCounts = z.infer<typeof StateCountsSchema>;
export type EnvelopeEdge = z.infer<typeof EnvelopeEdgeSchema>;
export type Wildcard = z.infer<typeof WildcardSchema>;
export type WildcardRules = z.infer<typeof WildcardRulesSchema>;
export type NodeAdditions = z.infer<typeof NodeAdditionsSchema>;
export type EdgeAdditions = z.infer<typeof EdgeAdditionsSchema>;
export type EdgePatternList = z.infer<typeof EdgePatternListSchema>;
export type Alternative = z.infer<typeof AlternativeSchema>;
export type Slot = z.infer<typeof SlotSchema>;
export type Grows = z.infer<typeof GrowsSchema>;
export type CountRange = z.infer<typeof CountRangeSchema>;
export type WildcardHistory = NonNullable<Wildcard["history"]>;
export type TemplateEnd = z.infer<typeof TemplateEndSchema>;
export type TemplateEdge = z.infer<typeof TemplateEdgeSchema>;

/** Render-time facts about what the envelope is of. */
export interface EnvelopeMeta {
  readonly title: string;
}
