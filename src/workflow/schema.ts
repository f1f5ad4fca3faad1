import { z } from "zod";
import { AttrsSchema, NodeDataShape, ParamDeclsSchema } from "../data/schema.js";
import { NodeIdSchema } from "../graph/ids.js";
import { TriggerSchema } from "../graph/trigger.js";
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

export const EdgeSpecSchema = z.strictObject({
  from: NodeIdSchema,
  to: NodeIdSchema,
  attrs: AttrsSchema.optional(),
});

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
  trigger: TriggerSchema.optional(),
  ...NodeDataShape,
  ...TaskPolicyShape,
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
  /** Run-wide task policy: each node's own fields override it. */
  defaults: TaskPolicySchema.default({}),
  parallel: z
    .number()
    .int()
    .min(1)
    .describe("most tasks running at once (default 1); orch start --parallel overrides it")
    .optional(),
});

export type Workflow = z.infer<typeof WorkflowSchema>;
export type NodeSpec = z.infer<typeof NodeSpecSchema>;
export type EdgeSpec = z.infer<typeof EdgeSpecSchema>;
