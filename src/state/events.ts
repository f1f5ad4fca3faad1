import { z } from "zod";
import { AttrsSchema, NodeDataShape } from "../data/schema.js";
import { NODE_STATUSES } from "../graph/graph.js";
import { NodeIdSchema } from "../graph/ids.js";
import { TriggerSchema } from "../graph/trigger.js";
import { PromiseSchema, ShapesSchema } from "../promises/schema.js";
import { TaskPolicySchema } from "../workflow/policy.js";
import { ModuleNameSchema } from "../workflow/schema.js";
import { ATTEMPT_STATUSES } from "./attempt-status.js";
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
  trigger: TriggerSchema.optional(),
  ...NodeDataShape,
});

export const EdgeAddedSchema = z.strictObject({
  type: z.literal("edge_added"),
  from: NodeIdSchema,
  to: NodeIdSchema,
  created_by: NodeIdSchema.nullable(),
  attrs: AttrsSchema.optional(),
  /** A loop edge: back to an ancestor, followed when `from` succeeds asking to go again. */
  loop: z.literal(true).optional(),
  /** A loop edge's bound: its body runs at most this many times. */
  max: z.number().int().positive().optional(),
});

/** Cosmetic attributes set later on a node or an edge: merged over what it had. */
export const AttrsSetSchema = z.strictObject({
  type: z.literal("attrs_set"),
  node: NodeIdSchema.optional(),
  edge: z.strictObject({ from: NodeIdSchema, to: NodeIdSchema }).optional(),
  attrs: AttrsSchema,
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
  /** When a `retrying` node's next attempt is due (ISO 8601, UTC). */
  next_attempt_at: z.string().optional(),
  /** On `running`, for a node in a loop's body: the iteration it runs in. */
  iteration: z.number().int().positive().optional(),
});

/** An attempt's process runs: where (executor and its handle) and where its log goes. */
export const AttemptStartedSchema = z.strictObject({
  type: z.literal("attempt_started"),
  id: NodeIdSchema,
  attempt: z.number().int().positive(),
  executor: z.string(),
  /** What the executor knows it by (the local executor: its pid); null if it never started. */
  handle: z.string().nullable(),
  log: z.string(),
});

export const AttemptEndedSchema = z.strictObject({
  type: z.literal("attempt_ended"),
  id: NodeIdSchema,
  attempt: z.number().int().positive(),
  status: z.enum(ATTEMPT_STATUSES).exclude(["running"]),
  exit_code: z.number().int().nullable(),
  signal: z.string().nullable(),
  reason: z.string().nullable(),
  /**
   * A succeeded attempt of a loop's source that asked to go again: its
   * successors wait, and the loop's body runs once more (`loop_again`).
   */
  again: z.literal(true).optional(),
});

export const OutputStoredSchema = z.strictObject({
  type: z.literal("output"),
  id: NodeIdSchema,
  values: z.record(z.string(), z.unknown()),
});

/** The inputs a node's attempt started with, resolved from its bindings. */
export const InputsResolvedSchema = z.strictObject({
  type: z.literal("inputs"),
  id: NodeIdSchema,
  values: z.record(z.string(), z.unknown()),
});

/** The run's parameters, checked against the workflow's declarations at registration. */
export const RunParamsSetSchema = z.strictObject({
  type: z.literal("run_params"),
  params: z.record(z.string(), z.unknown()),
});

/** The run-wide task policy of the workflow file, recorded at registration. */
export const DefaultsSetSchema = z.strictObject({
  type: z.literal("defaults"),
  policy: TaskPolicySchema,
  /** The workflow lets tasks choose the executor of the nodes they add. */
  runtime_executors: z.boolean().optional(),
});

/** The modules warm tasks' interpreter imports once, recorded at registration. */
export const PreloadSetSchema = z.strictObject({
  type: z.literal("preload"),
  modules: z.array(ModuleNameSchema),
});

/** The workflow's named shapes, recorded at registration before its promises. */
export const ShapesDefinedSchema = z.strictObject({
  type: z.literal("shapes"),
  shapes: ShapesSchema,
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

/** The commands a person gives a run (`orch pause`, …). */
export const RUN_COMMANDS = ["pause", "resume", "cancel", "restart", "answer"] as const;
export type RunCommand = (typeof RUN_COMMANDS)[number];

/** A command given to the run, as it took effect: what, for which node, by whom. */
export const CommandGivenSchema = z.strictObject({
  type: z.literal("command"),
  command: z.enum(RUN_COMMANDS),
  node: NodeIdSchema.optional(),
  by: z.string(),
});

/** An attempt asked a person for input (`task.ask`): the node waits for the answer. */
export const AskedSchema = z.strictObject({
  type: z.literal("asked"),
  id: NodeIdSchema,
  attempt: z.number().int().positive(),
  prompt: z.string(),
  schema: z.record(z.string(), z.unknown()),
});

/** A person answered a waiting node (`orch answer`): its next attempts are given the answers. */
export const AnsweredSchema = z.strictObject({
  type: z.literal("answered"),
  id: NodeIdSchema,
  value: z.unknown(),
});

/**
 * `orch restart`: the reset nodes go back to pending, and what their attempts
 * added is taken back. Replaying the history reads every earlier event of these
 * nodes as if it had not happened (their attempts' starts stay, so attempt
 * numbers never repeat); `orch graph --at` before it still shows the old graph.
 */
export const NodesResetSchema = z.strictObject({
  type: z.literal("nodes_reset"),
  reset: z.array(NodeIdSchema),
  /** Nodes the reset nodes' attempts added, transitively: taken back. */
  removed: z.array(NodeIdSchema),
});

/**
 * The source of loop edge `from -> to` succeeded asking to go again: the body
 * runs once more (the `nodes_reset` just before this event reset it), as
 * iteration `iteration`. `outputs` are the source's outputs of the iteration
 * that ended, which the loop's target may bind.
 */
export const LoopAgainSchema = z.strictObject({
  type: z.literal("loop_again"),
  from: NodeIdSchema,
  to: NodeIdSchema,
  iteration: z.number().int().min(2),
  outputs: z.record(z.string(), z.unknown()),
});

export const RunEventSchema = z.discriminatedUnion("type", [
  LoopAgainSchema,
  NodesResetSchema,
  CommandGivenSchema,
  AskedSchema,
  AnsweredSchema,
  ShapesDefinedSchema,
  NodeAddedSchema,
  EdgeAddedSchema,
  PromiseMadeSchema,
  NodeStatusChangedSchema,
  AttemptStartedSchema,
  AttemptEndedSchema,
  OutputStoredSchema,
  DefaultsSetSchema,
  PreloadSetSchema,
  PluginsSetSchema,
  RunStatusChangedSchema,
  AttrsSetSchema,
  InputsResolvedSchema,
  RunParamsSetSchema,
]);

export type RunEvent = z.infer<typeof RunEventSchema>;
export type NodeAdded = z.infer<typeof NodeAddedSchema>;
export type EdgeAdded = z.infer<typeof EdgeAddedSchema>;
export type PromiseMade = z.infer<typeof PromiseMadeSchema>;
export type NodeStatusChanged = z.infer<typeof NodeStatusChangedSchema>;
export type AttemptStarted = z.infer<typeof AttemptStartedSchema>;
export type AttemptEnded = z.infer<typeof AttemptEndedSchema>;
export type CommandGiven = z.infer<typeof CommandGivenSchema>;
export type NodesReset = z.infer<typeof NodesResetSchema>;
export type LoopAgain = z.infer<typeof LoopAgainSchema>;
/** The mutations a task makes: provisional until it succeeds. */
export const MutationEventSchema = z.discriminatedUnion("type", [
  NodeAddedSchema,
  EdgeAddedSchema,
  PromiseMadeSchema,
  AttrsSetSchema,
]);
export type AttrsSet = z.infer<typeof AttrsSetSchema>;
export type MutationEvent = z.infer<typeof MutationEventSchema>;
