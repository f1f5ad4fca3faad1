import { z } from "zod";
import { NodeIdSchema } from "../graph/ids.js";
import { NodePromiseSchema, PromiseSchema } from "../promises/schema.js";
import { TaskPolicySchema, TaskPolicyShape } from "./policy.js";
import { ONE_TASK_KIND, taskFieldCount } from "./task-ref.js";

/** Parameters handed to a task in its start message: any JSON object. */
export const ParamsSchema = z.record(z.string(), z.unknown());

export const EdgeSpecSchema = z.strictObject({ from: NodeIdSchema, to: NodeIdSchema });

/** `module.path:function`, the module found relative to the workflow file's folder. */
export const CallTargetSchema = z
  .string()
  .regex(/^[\w.]+:[\w.]+$/, "`call` names a function as module:function, e.g. etl.steps:fetch");

/** What a node runs: exactly one of these (checked with `ONE_TASK_KIND`). */
export const TaskKindShape = {
  run: z.string().min(1, "`run` names a Python script relative to the workflow file").optional(),
  call: CallTargetSchema.optional(),
  uses: z.string().min(1, "`uses` names a task type (see `orch plugins`)").optional(),
};

/** A node's typed inputs and outputs: bindings and JSON Schemas by name. */
export const DataShape = {
  inputs: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  outputs: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
};

export const NodeSpecSchema = z
  .strictObject({
    id: NodeIdSchema,
    ...TaskKindShape,
    args: z.array(z.string()).default([]),
    params: ParamsSchema.default({}),
    depends_on: z.array(NodeIdSchema).default([]),
    promises: z.array(NodePromiseSchema).default([]),
    ...DataShape,
    ...TaskPolicyShape,
  })
  .refine((node) => taskFieldCount(node) === 1, { message: ONE_TASK_KIND });

export const WorkflowSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().min(1),
  nodes: z.array(NodeSpecSchema).min(1, "a workflow needs at least one node"),
  edges: z.array(EdgeSpecSchema).default([]),
  promises: z.array(PromiseSchema).default([]),
  /** Folders of plugin modules (relative to the workflow file), besides orch's built-ins. */
  plugins: z.array(z.string().min(1)).default([]),
  /** Run-wide task policy: each node's own fields override it. */
  defaults: TaskPolicySchema.default({}),
});

export type Workflow = z.infer<typeof WorkflowSchema>;
export type NodeSpec = z.infer<typeof NodeSpecSchema>;
export type EdgeSpec = z.infer<typeof EdgeSpecSchema>;
