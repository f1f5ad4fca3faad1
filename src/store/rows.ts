import { z } from "zod";
import { NODE_STATUSES } from "../graph/graph.js";
import { TRIGGERS } from "../graph/trigger.js";
import { ATTEMPT_STATUSES } from "../state/attempt-status.js";
import { RUN_STATUSES } from "../state/run-status.js";

/** Rows as read from SQLite, validated at the boundary. */

export const RunRowSchema = z.object({
  id: z.string(),
  workflow: z.string(),
  name: z.string(),
  status: z.enum(RUN_STATUSES),
  reason: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  owner_pid: z.number().int().nullable(),
  heartbeat_at: z.string().nullable(),
  /** The limits the run executes with, as JSON; null for runs from before they were kept. */
  limits: z.string().nullable(),
  /** How many tasks may run at once. */
  parallel: z.number().int().positive(),
  /** Bumped by every claim of the run; a write by an older claimant is refused. */
  epoch: z.number().int(),
  /** The owner's start time, in clock ticks since boot (field 22 of /proc/PID/stat). */
  owner_started: z.number().int().nullable(),
  /** The scheduled time (ISO 8601, UTC) a scheduled run was started for; null otherwise. */
  scheduled_for: z.string().nullable(),
});

export const NodeRowSchema = z.object({
  id: z.string(),
  seq: z.number().int(),
  run: z.string(),
  created_by: z.string().nullable(),
  status: z.enum(NODE_STATUSES),
  attempts: z.number().int(),
  reason: z.string().nullable(),
  outputs: z.string().nullable(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
});

export const EdgeRowSchema = z.object({
  from_id: z.string(),
  to_id: z.string(),
  created_by: z.string().nullable(),
});

export const AttemptRowSchema = z.object({
  node_id: z.string(),
  attempt: z.number().int(),
  status: z.enum(ATTEMPT_STATUSES),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  exit_code: z.number().int().nullable(),
  signal: z.string().nullable(),
  reason: z.string().nullable(),
  log_path: z.string(),
  pid: z.number().int().nullable(),
  executor: z.string().nullable(),
  handle: z.string().nullable(),
});

export const EventRowSchema = z.object({
  seq: z.number().int(),
  at: z.string(),
  payload: z.string(),
});

/**
 * The `orch status --json` document. SQLite builds it as JSON text
 * (see `statusQueries`), checking every value against these schemas as it goes.
 */
export const RunStateSchema = RunRowSchema.pick({
  id: true,
  workflow: true,
  name: true,
  status: true,
  reason: true,
  created_at: true,
  updated_at: true,
  parallel: true,
  scheduled_for: true,
});

export const AttemptStateSchema = AttemptRowSchema.pick({
  attempt: true,
  status: true,
  started_at: true,
  finished_at: true,
  exit_code: true,
  signal: true,
  reason: true,
}).extend({ log: z.string() });

export const NodeStateSchema = z.object({
  id: z.string(),
  status: z.enum(NODE_STATUSES),
  created_by: z.string().nullable(),
  /** Added by a task still running: it commits when that task succeeds, and goes if it fails. */
  provisional: z.boolean(),
  attempts: z.number().int(),
  run: z.string(),
  reason: z.string().nullable(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  /** When a `retrying` node's next attempt is due; null otherwise. */
  next_attempt_at: z.string().nullable(),
  /** The node's outputs as the task sent them, or null. */
  outputs: z.unknown(),
  /** The inputs its latest attempt started with, or null. */
  inputs: z.unknown(),
  /** What a `waiting` node asks, `{prompt, schema}` (`orch answer` gives it); null otherwise. */
  ask: z.unknown(),
  /** Which outcomes of its predecessors let it run, when not the default (all_succeeded); else null. */
  trigger: z.enum(TRIGGERS).nullable(),
  /** For a node in a loop's body: the iteration it last started in; else null. */
  iteration: z.number().int().nullable(),
  /** Every attempt of the node, oldest first; most nodes of a live run have none yet. */
  history: z.array(AttemptStateSchema),
});

export const EdgeStateSchema = z.object({
  from: z.string(),
  to: z.string(),
  created_by: z.string().nullable(),
  /** Added by a task still running, as for nodes. */
  provisional: z.boolean(),
  /** A loop edge (back to an ancestor), with its bound `max`; else false and null. */
  loop: z.boolean(),
  max: z.number().int().nullable(),
});

export const StatusDocumentSchema = z.object({
  run: RunStateSchema,
  nodes: z.array(NodeStateSchema),
  edges: z.array(EdgeStateSchema),
});

export type RunRow = z.infer<typeof RunRowSchema>;
export type NodeRow = z.infer<typeof NodeRowSchema>;
export type EdgeRow = z.infer<typeof EdgeRowSchema>;
export type AttemptRow = z.infer<typeof AttemptRowSchema>;
export type StatusDocument = z.infer<typeof StatusDocumentSchema>;
export type NodeState = z.infer<typeof NodeStateSchema>;

export const StatusCountSchema = z.object({
  status: z.enum(NODE_STATUSES),
  n: z.number().int(),
});
export type StatusCount = z.infer<typeof StatusCountSchema>;
