import { z } from "zod";
import { AttrsSchema } from "../data/schema.js";
import { NODE_STATUSES } from "../graph/graph.js";
import { NodeIdSchema } from "../graph/ids.js";
import { PromiseSchema } from "../promises/schema.js";
import {
  EdgeFieldsShape,
  maxNeedsLoop,
  NodeFieldsShape,
  ParamsSchema,
} from "../workflow/schema.js";
import { ONE_TASK_KIND, taskFieldCount } from "../workflow/task-ref.js";

/** The one line the orchestrator writes to a task's stdin. */
/** What a task is told about its run beyond its id; each field only when it applies. */
export const RunInfoSchema = z.strictObject({
  /** The run's parameters (`orch start --param`, else their defaults), when it has any. */
  params: ParamsSchema.optional(),
  /** The scheduled time (ISO 8601, UTC) when a schedule started the run. */
  scheduled_for: z.string().optional(),
});

export const StartMessageSchema = z.strictObject({
  type: z.literal("start"),
  run_id: z.string(),
  node: z.strictObject({ id: NodeIdSchema, params: ParamsSchema }),
  attempt: z.number().int().positive(),
  /** The node's resolved inputs, when it declares any. */
  inputs: z.record(z.string(), z.unknown()).optional(),
  /** What the run is, when there is something to say: see RunInfoSchema. */
  run: RunInfoSchema.optional(),
  /** The answers a person gave to this node's asks so far, in order. */
  answers: z.array(z.unknown()).optional(),
  /** For a node in a loop's body: the iteration it runs in (1, 2, …). */
  iteration: z.number().int().positive().optional(),
  /** For a node with a non-default trigger: how each predecessor ended, and why. */
  upstream: z
    .record(
      NodeIdSchema,
      z.strictObject({ status: z.enum(NODE_STATUSES), reason: z.string().nullable() }),
    )
    .optional(),
});

export const AddNodeMessageSchema = z
  .strictObject({ type: z.literal("add_node"), id: NodeIdSchema, ...NodeFieldsShape })
  .refine((node) => taskFieldCount(node) === 1, { message: ONE_TASK_KIND });

export const AddEdgeMessageSchema = maxNeedsLoop(
  z.strictObject({ type: z.literal("add_edge"), ...EdgeFieldsShape }),
);

/** Cosmetic attributes for a node or an edge that exists. */
export const SetAttrsMessageSchema = z
  .strictObject({
    type: z.literal("set_attrs"),
    node: NodeIdSchema.optional(),
    edge: z.strictObject({ from: NodeIdSchema, to: NodeIdSchema }).optional(),
    attrs: AttrsSchema,
  })
  .refine((m) => (m.node === undefined) !== (m.edge === undefined), {
    message: "set_attrs names exactly one of `node` and `edge`",
  });

export const PromiseMessageSchema = PromiseSchema.extend({ type: z.literal("promise") });

export const LogLevelSchema = z.enum(["debug", "info", "warning", "error"]);

export const LogMessageSchema = z.strictObject({
  type: z.literal("log"),
  level: LogLevelSchema.default("info"),
  message: z.string(),
});

export const OutputMessageSchema = z.strictObject({
  type: z.literal("output"),
  values: z.record(z.string(), z.unknown()),
});

/** The task asks a person for input and ends; its next attempt is given the answer. */
export const AskMessageSchema = z.strictObject({
  type: z.literal("ask"),
  prompt: z.string(),
  schema: z.record(z.string(), z.unknown()),
});

/**
 * The task, the source of a loop edge, asks for the loop's body to run once
 * more; it takes effect when the task succeeds.
 */
export const AgainMessageSchema = z.strictObject({ type: z.literal("again") });

/** Every message a task may write to stdout, one JSON object per line. */
export const TaskMessageSchema = z.discriminatedUnion("type", [
  AddNodeMessageSchema,
  AddEdgeMessageSchema,
  PromiseMessageSchema,
  LogMessageSchema,
  OutputMessageSchema,
  SetAttrsMessageSchema,
  AskMessageSchema,
  AgainMessageSchema,
]);

export type RunInfo = z.infer<typeof RunInfoSchema>;
export type StartMessage = z.infer<typeof StartMessageSchema>;
export type TaskMessage = z.infer<typeof TaskMessageSchema>;
export type AddNodeMessage = z.infer<typeof AddNodeMessageSchema>;
export type AddEdgeMessage = z.infer<typeof AddEdgeMessageSchema>;
export type PromiseMessage = z.infer<typeof PromiseMessageSchema>;
export type LogMessage = z.infer<typeof LogMessageSchema>;
export type OutputMessage = z.infer<typeof OutputMessageSchema>;
export type SetAttrsMessage = z.infer<typeof SetAttrsMessageSchema>;
