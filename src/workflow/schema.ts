import { z } from "zod";
import { NodeIdSchema } from "../graph/ids.js";
import { NodePromiseSchema, PromiseSchema, ShapesSchema } from "../promises/schema.js";
import { PlainStringSchema } from "../util/printable.js";
import { TaskPolicySchema, TaskPolicyShape } from "./policy.js";
import { ProcessStringSchema, refuseProcessProblems } from "./process-string.js";

/** Parameters handed to a task in its start message: any JSON object. */
export const ParamsSchema = z.record(z.string(), z.unknown());

/** A Python module's dotted name, as `import` takes it. */
export const ModuleNameSchema = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/,
    "expected a Python module name such as `json` or `pkg.module`",
  );

export const EdgeSpecSchema = z.strictObject({ from: NodeIdSchema, to: NodeIdSchema });

export const NodeSpecSchema = z.strictObject({
  id: NodeIdSchema,
  run: PlainStringSchema.min(
    1,
    "`run` names a Python script relative to the workflow file",
  ).superRefine(refuseProcessProblems),
  args: z.array(ProcessStringSchema).default([]),
  params: ParamsSchema.default({}),
  depends_on: z.array(NodeIdSchema).default([]),
  promises: z.array(NodePromiseSchema).default([]),
  ...TaskPolicyShape,
});

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
  promises: z.array(PromiseSchema).default([]),
  /** Modules a warm starter imports once for every `warm` task of the run. */
  preload: z.array(ModuleNameSchema).default([]),
  /** Named shapes (`{"one_of": [...]}`), used by `{"shape": {"ref": NAME}}` in any promise. */
  shapes: ShapesSchema.default({}),
  /** Run-wide task policy: each node's own fields override it. */
  defaults: TaskPolicySchema.default({}),
  parallel: z
    .number()
    .int()
    .min(1)
    .describe("most tasks running at once (default 1); orch start --parallel overrides it")
    .optional(),
  schedule: ScheduleSpecSchema.optional(),
});

export type Workflow = z.infer<typeof WorkflowSchema>;
export type NodeSpec = z.infer<typeof NodeSpecSchema>;
export type EdgeSpec = z.infer<typeof EdgeSpecSchema>;
export type ScheduleSpec = z.infer<typeof ScheduleSpecSchema>;
