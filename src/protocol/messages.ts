import { z } from "zod";
import { NodeIdSchema } from "../graph/ids.js";
import { NodePromiseSchema, PromiseSchema } from "../promises/schema.js";
import { PlainStringSchema } from "../util/printable.js";
import { TaskPolicyShape } from "../workflow/policy.js";
import { ProcessStringSchema, refuseProcessProblems } from "../workflow/process-string.js";
import { ParamsSchema } from "../workflow/schema.js";

/** The one line the orchestrator writes to a task's stdin. */
/** What a task is told about its run beyond its id; each field only when it applies. */
export const RunInfoSchema = z.strictObject({
  /** The scheduled time (ISO 8601, UTC) when a schedule started the run. */
  scheduled_for: z.string().optional(),
});

export const StartMessageSchema = z.strictObject({
  type: z.literal("start"),
  run_id: z.string(),
  node: z.strictObject({ id: NodeIdSchema, params: ParamsSchema }),
  attempt: z.number().int().positive(),
  /** What the run is, when there is something to say: see RunInfoSchema. */
  run: RunInfoSchema.optional(),
});

export const AddNodeMessageSchema = z.strictObject({
  type: z.literal("add_node"),
  id: NodeIdSchema,
  run: PlainStringSchema.min(1).superRefine(refuseProcessProblems),
  args: z.array(ProcessStringSchema).default([]),
  params: ParamsSchema.default({}),
  promises: z.array(NodePromiseSchema).default([]),
  ...TaskPolicyShape,
});

export const AddEdgeMessageSchema = z.strictObject({
  type: z.literal("add_edge"),
  from: NodeIdSchema,
  to: NodeIdSchema,
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

/** Every message a task may write to stdout, one JSON object per line. */
export const TaskMessageSchema = z.discriminatedUnion("type", [
  AddNodeMessageSchema,
  AddEdgeMessageSchema,
  PromiseMessageSchema,
  LogMessageSchema,
  OutputMessageSchema,
]);

export type RunInfo = z.infer<typeof RunInfoSchema>;
export type StartMessage = z.infer<typeof StartMessageSchema>;
export type TaskMessage = z.infer<typeof TaskMessageSchema>;
export type AddNodeMessage = z.infer<typeof AddNodeMessageSchema>;
export type AddEdgeMessage = z.infer<typeof AddEdgeMessageSchema>;
export type PromiseMessage = z.infer<typeof PromiseMessageSchema>;
export type LogMessage = z.infer<typeof LogMessageSchema>;
export type OutputMessage = z.infer<typeof OutputMessageSchema>;
