import { z } from "zod";
import { NodeIdSchema } from "../graph/ids.js";
import { NodePromiseSchema, PromiseSchema } from "../promises/schema.js";
import { TaskPolicySchema, TaskPolicyShape } from "./policy.js";

/** Parameters handed to a task in its start message: any JSON object. */
export const ParamsSchema = z.record(z.string(), z.unknown());

export const EdgeSpecSchema = z.strictObject({ from: NodeIdSchema, to: NodeIdSchema });

export const NodeSpecSchema = z.strictObject({
  id: NodeIdSchema,
  run: z.string().min(1, "`run` names a Python script relative to the workflow file"),
  args: z.array(z.string()).default([]),
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
  name: z.string().min(1),
  nodes: z.array(NodeSpecSchema).min(1, "a workflow needs at least one node"),
  edges: z.array(EdgeSpecSchema).default([]),
  promises: z.array(PromiseSchema).default([]),
  /** Run-wide task policy: each node's own fields override it. */
  defaults: TaskPolicySchema.default({}),
  schedule: ScheduleSpecSchema.optional(),
});

export type Workflow = z.infer<typeof WorkflowSchema>;
export type NodeSpec = z.infer<typeof NodeSpecSchema>;
export type EdgeSpec = z.infer<typeof EdgeSpecSchema>;
export type ScheduleSpec = z.infer<typeof ScheduleSpecSchema>;
