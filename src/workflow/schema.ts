import { z } from "zod";
import { AttrsSchema, NodeDataShape, ParamDeclsSchema } from "../data/schema.js";
import { NodeIdSchema } from "../graph/ids.js";
import { TriggerSchema } from "../graph/trigger.js";
import { NodePromiseSchema, PromiseSchema, ShapesSchema } from "../promises/schema.js";
import { PlainStringSchema } from "../util/printable.js";
import { TaskPolicySchema, TaskPolicyShape } from "./policy.js";
import { ProcessStringSchema, refuseProcessProblems } from "./process-string.js";
import { ONE_TASK_KIND, taskFieldCount } from "./task-ref.js";

/** Parameters handed to a task in its start message: any JSON object. */
export const ParamsSchema = z.record(z.string(), z.unknown());

/** A Python module's dotted name, as `import` takes it. */
export const ModuleNameSchema = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/,
    "expected a Python module name such as `json` or `pkg.module`",
  );

/** A loop edge's bound: how many times its body may run in all. */
export const LoopMaxSchema = z.number().int().positive();

/** An edge's fields, in the workflow file and in an `add_edge` message alike. */
export const EdgeFieldsShape = {
  from: NodeIdSchema,
  to: NodeIdSchema,
  attrs: AttrsSchema.optional(),
  /** A loop edge: back to an ancestor, followed when `from` succeeds having asked to go again. */
  loop: z.boolean().optional(),
  /** A loop edge's bound (default 100). */
  max: LoopMaxSchema.optional(),
};

/** `max` only on a loop edge. */
export const maxNeedsLoop = <
  S extends z.ZodType<{ loop?: boolean | undefined; max?: number | undefined }>,
>(
  schema: S,
): S =>
  schema.refine((edge) => edge.max === undefined || edge.loop === true, {
    message: '`max` bounds a loop edge: it needs "loop": true',
    path: ["max"],
  });

export const EdgeSpecSchema = maxNeedsLoop(z.strictObject(EdgeFieldsShape));

/** `module.path:function`, the module found relative to the workflow file's folder. */
export const CallTargetSchema = z
  .string()
  .regex(/^[\w.]+:[\w.]+$/, "`call` names a function as module:function, e.g. etl.steps:fetch");

/** What a node runs: exactly one of these (checked with `ONE_TASK_KIND`). */
export const TaskKindShape = {
  run: PlainStringSchema.min(1, "`run` names a Python script relative to the workflow file")
    .superRefine(refuseProcessProblems)
    .optional(),
  call: CallTargetSchema.optional(),
  uses: PlainStringSchema.min(1, "`uses` names a task type (see `orch plugins`)")
    .superRefine(refuseProcessProblems)
    .optional(),
};

/**
 * Every field a node may carry, in the workflow file and in an `add_node`
 * message alike (with its id; exactly one of run, call and uses).
 */
export const NodeFieldsShape = {
  ...TaskKindShape,
  args: z.array(ProcessStringSchema).default([]),
  params: ParamsSchema.default({}),
  /** Shorthand for edges from these nodes into this one. */
  depends_on: z.array(NodeIdSchema).default([]),
  promises: z.array(NodePromiseSchema).default([]),
  /** Which outcomes of its predecessors let it run (default: all succeeded). */
  trigger: TriggerSchema.optional(),
  ...NodeDataShape,
  ...TaskPolicyShape,
};

export const NodeSpecSchema = z
  .strictObject({ id: NodeIdSchema, ...NodeFieldsShape })
  .refine((node) => taskFieldCount(node) === 1, { message: ONE_TASK_KIND });

/** When the daemon starts this workflow on its own: a cron expression, in `timezone`. */
export const ScheduleSpecSchema = z.strictObject({
  cron: z.string().min(1, '`cron` is a cron expression such as "0 2 * * *"'),
  timezone: z.string().min(1).default("UTC"),
  /** After downtime: true runs every missed time, false only the latest. */
  catchup: z.boolean().default(false),
});

export const WorkflowSchema = z.strictObject({
  $schema: z.string().optional(),
  name: PlainStringSchema.min(1),
  nodes: z.array(NodeSpecSchema).min(1, "a workflow needs at least one node"),
  edges: z.array(EdgeSpecSchema).default([]),
  /** Run parameters: `orch start --param NAME=VALUE` sets them, tasks read them. */
  params: ParamDeclsSchema.default({}),
  promises: z.array(PromiseSchema).default([]),
  /** Modules a warm starter imports once for every `warm` task of the run. */
  preload: z.array(ModuleNameSchema).default([]),
  /** Named shapes (`{"one_of": [...]}`), used by `{"shape": {"ref": NAME}}` in any promise. */
  shapes: ShapesSchema.default({}),
  /** Folders of plugin modules (relative to the workflow file), besides orch's built-ins. */
  plugins: z.array(PlainStringSchema.min(1).superRefine(refuseProcessProblems)).default([]),
  /** Run-wide task policy: each node's own fields override it. */
  defaults: TaskPolicySchema.default({}),
  parallel: z
    .number()
    .int()
    .min(1)
    .describe("most tasks running at once (default 1); orch start --parallel overrides it")
    .optional(),
  /**
   * Whether a task may give the nodes it adds another executor than its own
   * (or other container mounts). Off, a sandboxed task cannot add an unsandboxed one.
   */
  runtime_executors: z.boolean().default(false),
  schedule: ScheduleSpecSchema.optional(),
});

export type Workflow = z.infer<typeof WorkflowSchema>;
export type NodeSpec = z.infer<typeof NodeSpecSchema>;
export type EdgeSpec = z.infer<typeof EdgeSpecSchema>;
export type ScheduleSpec = z.infer<typeof ScheduleSpecSchema>;
