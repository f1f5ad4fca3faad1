import { z } from "zod";
import { NODE_STATUSES } from "../graph/graph.js";
import { NodeIdSchema } from "../graph/ids.js";
import { PromiseSchema } from "../promises/schema.js";
import { TaskPolicySchema } from "../workflow/policy.js";
import { RUN_STATUSES } from "./run-status.js";

/**
 * The run's history: every mutation and state change, appended in order. It is
 * the source of truth — the graph and promise state at any moment are a fold of it
 * (see `RunState`); the nodes/edges tables are projections kept for fast reads.
 */

export const PromiseOriginSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("file"), file: z.string(), path: z.string() }),
  z.strictObject({ kind: z.literal("message"), node: NodeIdSchema, line: z.number().int() }),
]);

export const NodeAddedSchema = z.strictObject({
  type: z.literal("node_added"),
  id: NodeIdSchema,
  run: z.string(),
  args: z.array(z.string()),
  params: z.record(z.string(), z.unknown()),
  created_by: NodeIdSchema.nullable(),
  policy: TaskPolicySchema.optional(),
});

export const EdgeAddedSchema = z.strictObject({
  type: z.literal("edge_added"),
  from: NodeIdSchema,
  to: NodeIdSchema,
  created_by: NodeIdSchema.nullable(),
});

export const PromiseMadeSchema = z.strictObject({
  type: z.literal("promise_made"),
  promise: PromiseSchema,
  origin: PromiseOriginSchema,
  made_by: NodeIdSchema.nullable(),
});

export const NodeStatusChangedSchema = z.strictObject({
  type: z.literal("node_status"),
  id: NodeIdSchema,
  status: z.enum(NODE_STATUSES),
  attempt: z.number().int().nonnegative(),
  reason: z.string().nullable(),
});

export const OutputStoredSchema = z.strictObject({
  type: z.literal("output"),
  id: NodeIdSchema,
  values: z.record(z.string(), z.unknown()),
});

/** The run-wide task policy of the workflow file, recorded at registration. */
export const DefaultsSetSchema = z.strictObject({
  type: z.literal("defaults"),
  policy: TaskPolicySchema,
});

/** The workflow's plugin folders (absolute), recorded at registration. */
export const PluginsSetSchema = z.strictObject({
  type: z.literal("plugins"),
  folders: z.array(z.string()),
});

export const RunStatusChangedSchema = z.strictObject({
  type: z.literal("run_status"),
  status: z.enum(RUN_STATUSES),
  reason: z.string().nullable(),
});

export const RunEventSchema = z.discriminatedUnion("type", [
  NodeAddedSchema,
  EdgeAddedSchema,
  PromiseMadeSchema,
  NodeStatusChangedSchema,
  OutputStoredSchema,
  DefaultsSetSchema,
  PluginsSetSchema,
  RunStatusChangedSchema,
]);

export type RunEvent = z.infer<typeof RunEventSchema>;
export type NodeAdded = z.infer<typeof NodeAddedSchema>;
export type EdgeAdded = z.infer<typeof EdgeAddedSchema>;
export type PromiseMade = z.infer<typeof PromiseMadeSchema>;
export type NodeStatusChanged = z.infer<typeof NodeStatusChangedSchema>;
/** The mutations a task makes: provisional until it succeeds. */
export const MutationEventSchema = z.discriminatedUnion("type", [
  NodeAddedSchema,
  EdgeAddedSchema,
  PromiseMadeSchema,
]);
export type MutationEvent = z.infer<typeof MutationEventSchema>;
