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

export const WorkflowSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().min(1),
  nodes: z.array(NodeSpecSchema).min(1, "a workflow needs at least one node"),
  edges: z.array(EdgeSpecSchema).default([]),
  promises: z.array(PromiseSchema).default([]),
  /** Run-wide task policy: each node's own fields override it. */
  defaults: TaskPolicySchema.default({}),
  /**
   * Whether a task may give the nodes it adds another executor than its own
   * (or other container mounts). Off, a sandboxed task cannot add an unsandboxed one.
   */
  runtime_executors: z.boolean().default(false),
});

export type Workflow = z.infer<typeof WorkflowSchema>;
export type NodeSpec = z.infer<typeof NodeSpecSchema>;
export type EdgeSpec = z.infer<typeof EdgeSpecSchema>;
