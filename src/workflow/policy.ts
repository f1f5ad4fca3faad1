import { z } from "zod";
import { type ExecutorSpec, ExecutorSpecSchema } from "./executor-spec.js";

/**
 * How a task is run: its time limit and what happens when it fails. Each field
 * may be set per node, or for the whole run under `defaults` in the workflow file.
 */
export const TaskPolicyShape = {
  timeout: z
    .number()
    .positive()
    .describe("seconds before the task and its processes are killed")
    .optional(),
  retries: z.number().int().nonnegative().describe("further attempts after a failure").optional(),
  retry_delay: z.number().nonnegative().describe("seconds before the first retry").optional(),
  backoff: z.number().min(1).describe("each retry waits this many times longer").optional(),
  retry_delay_max: z.number().nonnegative().describe("cap on the wait, in seconds").optional(),
  jitter: z.number().min(0).max(1).describe("random spread of each wait, as a fraction").optional(),
  warm: z
    .boolean()
    .describe(
      "start the task by forking an interpreter that has already imported the SDK and the workflow's `preload` modules",
    )
    .optional(),
  executor: ExecutorSpecSchema.describe(
    "where the task runs: local (the default), a container or a Slurm cluster",
  ).optional(),
};

export const TaskPolicySchema = z.strictObject(TaskPolicyShape);
export type TaskPolicy = z.infer<typeof TaskPolicySchema>;

export interface ResolvedPolicy {
  readonly timeout: number | null;
  readonly retries: number;
  readonly retryDelay: number;
  readonly backoff: number;
  readonly retryDelayMax: number;
  readonly jitter: number;
  readonly warm: boolean;
  readonly executor: ExecutorSpec;
}

/** Defaults when neither the node nor the workflow says: no timeout, no retries. */
export const resolvePolicy = (node: TaskPolicy, defaults: TaskPolicy): ResolvedPolicy => ({
  timeout: node.timeout ?? defaults.timeout ?? null,
  retries: node.retries ?? defaults.retries ?? 0,
  retryDelay: node.retry_delay ?? defaults.retry_delay ?? 1,
  backoff: node.backoff ?? defaults.backoff ?? 2,
  retryDelayMax: node.retry_delay_max ?? defaults.retry_delay_max ?? 300,
  jitter: node.jitter ?? defaults.jitter ?? 0.1,
  warm: node.warm ?? defaults.warm ?? false,
  executor: node.executor ?? defaults.executor ?? "local",
});

/**
 * Seconds to wait before attempt `failed + 1`, after `failed` failed attempts:
 * `retry_delay × backoff^(failed−1)`, capped at `retry_delay_max`, then spread by
 * ±`jitter` so that many retrying tasks do not wake together. `random` is in [0, 1).
 */
export const retryDelay = (policy: ResolvedPolicy, failed: number, random: number): number => {
  const base = Math.min(
    policy.retryDelayMax,
    policy.retryDelay * policy.backoff ** Math.max(0, failed - 1),
  );
  return Math.max(0, base * (1 + policy.jitter * (2 * random - 1)));
};

/** Pick the policy fields out of a node spec or message. */
export const policyOf = (spec: TaskPolicy): TaskPolicy =>
  Object.fromEntries(Object.entries(spec).filter(([key]) => key in TaskPolicyShape)) as TaskPolicy;
