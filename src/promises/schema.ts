import { z } from "zod";
import { ATTR_KEYS } from "../data/schema.js";
import { PlainStringSchema } from "../util/printable.js";
import { callRef, taskFieldCount, taskRefOf, usesRef } from "../workflow/task-ref.js";

/**
 * The promise language (docs/promises.md). Every rule is optional; all rules of one
 * promise must hold for every mutation whose source is in the promise's scope.
 * Semantic checks that need the graph (globs compile, template edges name a slot
 * or a node, scopes name a node) live in `validate.ts`.
 */

const RULE_NAMES = "nodes, edges, no_edges_from, no_edges_to, shape and attrs";

const pathText = (path: readonly PropertyKey[]): string =>
  path.map((key) => (typeof key === "number" ? `[${key}]` : `.${String(key)}`)).join("");

/**
 * zod reports a failed union as a bare "Invalid input". When exactly one option
 * got past the type check (the input is an object, not `false`), say what is
 * wrong inside it; otherwise say what was expected.
 */
const unionError =
  (expected: string) =>
  (issue: z.core.$ZodRawIssue): string | undefined => {
    if (issue.code !== "invalid_union") return undefined;
    const inner = issue.errors.filter(
      (branch) =>
        !branch.every(
          (i) => i.path.length === 0 && (i.code === "invalid_type" || i.code === "invalid_value"),
        ),
    );
    const only = inner.length === 1 ? inner[0] : undefined;
    if (!only) return `expected ${expected}`;
    return only.map((i) => `${pathText(i.path).replace(/^\./, "")}: ${i.message}`).join("; ");
  };

const unknownKeys =
  (where: string, allowed: string) =>
  (issue: z.core.$ZodRawIssue): string | undefined => {
    if (issue.code === "unrecognized_keys") {
      const keys = issue.keys.map((k) => `"${k}"`).join(", ");
      return `unknown key${issue.keys.length > 1 ? "s" : ""} ${keys} in ${where}: expected ${allowed}`;
    }
    if (issue.code === "invalid_type") return `${where} must be an object with ${allowed}`;
    return undefined;
  };

/** An id glob (picomatch syntax), matched against whole node ids. */
export const IdGlobSchema = z.string().min(1, "a glob must not be empty");

/** The run-wide scope, a node id, or `$self` (only in task messages). */
export const ScopeSchema = z
  .string({ error: 'a promise needs a scope: a node id, "*" (the whole run) or "$self"' })
  .min(1, 'a scope names a node, "*" or "$self"');

/**
 * Scripts (`run`), functions (`call`) and task types (`uses`) a rule names, as
 * one list of task references (`run` entries as they are, `call:…`, `uses:…`).
 */
const taskRefs = (r: { run?: string[]; call?: string[]; uses?: string[] }): string[] | undefined =>
  r.run === undefined && r.call === undefined && r.uses === undefined
    ? undefined
    : [...(r.run ?? []), ...(r.call ?? []).map(callRef), ...(r.uses ?? []).map(usesRef)];

export const NodesRuleSchema = z
  .union(
    [
      z.literal(false),
      z.strictObject(
        {
          ids: z.array(IdGlobSchema).optional(),
          run: z.array(PlainStringSchema.min(1)).optional(),
          call: z.array(PlainStringSchema.min(1)).optional(),
          uses: z.array(PlainStringSchema.min(1)).optional(),
          max: z
            .number({ error: "max is a number of nodes" })
            .int("max is a whole number of nodes")
            .nonnegative("max is a number of nodes, 0 or more")
            .optional(),
        },
        { error: unknownKeys("a nodes rule", "ids, run, call, uses and max") },
      ),
    ],
    {
      error: unionError(
        'false or an object with "ids", "run", "call", "uses" and "max" (each optional)',
      ),
    },
  )
  .transform((rule) => {
    if (rule === false) return rule;
    const { call, uses, ...rest } = rule;
    const run = taskRefs(rule);
    return run === undefined ? rest : { ...rest, run };
  });

/** An edge endpoint in a rule: an id glob, `$self` (the emitting node) or `$new` (a node the scope added). */
export const EdgeEndpointSchema = z.string().min(1);

/**
 * An edge pattern. With `"loop": true` it matches only loop edges; without it
 * (or with `false`), only ordinary edges: a scope adds a loop only where a
 * promise says so.
 */
export const EdgePatternSchema = z.strictObject(
  {
    from: EdgeEndpointSchema,
    to: EdgeEndpointSchema,
    loop: z
      .boolean({ error: '"loop" is true (the pattern matches loop edges only) or false' })
      .optional(),
  },
  { error: unknownKeys("an edge pattern", "from, to and loop") },
);

export const EdgesRuleSchema = z.union([z.literal(false), z.array(EdgePatternSchema)], {
  error: unionError('false or a list of {"from", "to"} patterns'),
});

export const SlotCountSchema = z.enum(["1", "?", "*", "+"], {
  error:
    'a slot count is "1" (exactly one), "?" (zero or one), "*" (any number) or "+" (at least one)',
});

/**
 * A template slot. Its `promises` are given to every instance for its own
 * scope when it is added (`$self` in them is the instance); a `shape` among
 * them makes the instance a boundary.
 */
export const TemplateSlotSchema = z
  .strictObject(
    {
      id: IdGlobSchema,
      run: PlainStringSchema.min(1).optional(),
      call: PlainStringSchema.min(1).optional(),
      uses: PlainStringSchema.min(1).optional(),
      count: SlotCountSchema.default("1"),
      get promises() {
        return z.array(NodePromiseSchema).optional();
      },
    },
    {
      error: unknownKeys("a template slot", "id, run (or call or uses), count and promises"),
    },
  )
  .refine((slot) => taskFieldCount(slot) === 1, {
    message: 'a template slot names exactly one of "run", "call" or "uses"',
  })
  .transform(({ run, call, uses, ...slot }) => ({ ...slot, run: taskRefOf({ run, call, uses }) }));

/** An endpoint of a template edge: a slot (its `id` glob, verbatim), an existing node id, or `$self` (the scope's root). */
export const TemplateEdgeSchema = z.strictObject(
  { from: z.string().min(1), to: z.string().min(1) },
  { error: unknownKeys("a template edge", "from and to") },
);

export const TemplateSchema = z.strictObject(
  {
    nodes: z.array(TemplateSlotSchema).default([]),
    edges: z.array(TemplateEdgeSchema).default([]),
  },
  { error: unknownKeys("a template", "nodes and edges") },
);

/** A set of templates, of which what a scope adds must become exactly one. */
export const ShapeSetSchema = z.strictObject(
  { one_of: z.array(TemplateSchema).min(1, "one_of needs at least one template") },
  { error: unknownKeys("a shape", "one_of") },
);

/**
 * A shape rule: its templates, or `ref`, the name of one of the workflow's
 * `shapes` (exactly one of the two).
 */
export const ShapeRuleSchema = z
  .strictObject(
    {
      one_of: z.array(TemplateSchema).min(1, "one_of needs at least one template").optional(),
      ref: z.string().min(1, "ref names a shape of the workflow's shapes").optional(),
    },
    { error: unknownKeys("a shape rule", "one_of or ref") },
  )
  .refine((shape) => (shape.one_of === undefined) !== (shape.ref === undefined), {
    error:
      'a shape rule has either "one_of" (its templates) or "ref" (a shape of the workflow\'s shapes), not both or neither',
  });

/** The workflow's named shapes: NAME → `{"one_of": [...]}`. */
export const ShapesSchema = z.record(z.string().min(1), ShapeSetSchema);

/** Which cosmetic attributes the scope may set: none (`false`), or only these keys. */
export const AttrsRuleSchema = z.union(
  [
    z.literal(false),
    z.strictObject(
      { keys: z.array(z.enum(ATTR_KEYS)) },
      { error: unknownKeys("an attrs rule", "keys") },
    ),
  ],
  { error: unionError(`false or {"keys": [...]} naming some of ${ATTR_KEYS.join(", ")}`) },
);

const ruleShape = {
  nodes: NodesRuleSchema.optional(),
  edges: EdgesRuleSchema.optional(),
  no_edges_from: z.array(IdGlobSchema).optional(),
  no_edges_to: z.array(IdGlobSchema).optional(),
  get shape() {
    return ShapeRuleSchema.optional();
  },
  attrs: AttrsRuleSchema.optional(),
};

/** A promise as written in a workflow file or a `promise` message. */
export const PromiseSchema = z.strictObject(
  { scope: ScopeSchema, ...ruleShape },
  { error: unknownKeys("a promise", `scope and the rules ${RULE_NAMES}`) },
);

/** A promise carried by a node (workflow file, `add_node` or a template slot): its scope defaults to that node. */
export const NodePromiseSchema: z.ZodType<NodePromiseDef> = z.strictObject(
  { scope: ScopeSchema.optional(), ...ruleShape },
  { error: unknownKeys("a node's promise", `scope (optional) and the rules ${RULE_NAMES}`) },
);

export type PromiseDef = z.infer<typeof PromiseSchema>;
export type NodesRule = z.infer<typeof NodesRuleSchema>;
export type EdgesRule = z.infer<typeof EdgesRuleSchema>;
export type EdgePattern = z.infer<typeof EdgePatternSchema>;
export type SlotCount = z.infer<typeof SlotCountSchema>;
export interface TemplateSlot {
  id: string;
  run: string;
  count: SlotCount;
  promises?: NodePromiseDef[];
}
export interface Template {
  nodes: TemplateSlot[];
  edges: { from: string; to: string }[];
}
export interface ShapeSet {
  one_of: Template[];
}
export interface ShapeRule {
  one_of?: Template[];
  ref?: string;
}
export interface NodePromiseDef {
  scope?: string;
  nodes?: NodesRule;
  edges?: EdgesRule;
  no_edges_from?: string[];
  no_edges_to?: string[];
  shape?: ShapeRule;
  attrs?: AttrsRule;
}
/** A shape with its `ref` resolved: the templates, and the name they came by. */
export interface ResolvedShape extends ShapeSet {
  ref?: string;
}
export type Shapes = Record<string, ShapeSet>;
export type AttrsRule = z.infer<typeof AttrsRuleSchema>;
