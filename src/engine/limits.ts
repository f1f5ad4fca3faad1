import { z } from "zod";
import type { RunRow } from "../store/rows.js";
import type { Store } from "../store/store.js";
import type { AttemptLimits } from "./attempt.js";

/** What protects orch from its tasks (docs/reliability.md, "Limits"). */
export interface EngineLimits extends AttemptLimits {
  /** Longest stdout line a task may write, in characters. */
  readonly maxLineLength: number;
  /** Seconds between SIGTERM and SIGKILL when a task times out or is interrupted. */
  readonly killGrace: number;
}

export const DEFAULT_LIMITS: EngineLimits = {
  maxLineLength: 1024 * 1024,
  maxNodes: 1_000_000,
  maxMutations: 1_000_000,
  killGrace: 5,
};

/** The limits as a run keeps them (`runs.limits`, JSON), for `orch resume` to execute it with the same. */
const KeptLimitsSchema = z.strictObject({
  maxLineLength: z.number().nonnegative(),
  maxNodes: z.number().nonnegative(),
  maxMutations: z.number().nonnegative(),
  killGrace: z.number().nonnegative(),
}) satisfies z.ZodType<EngineLimits>;

/** Record the limits a run executes with. */
export const keepLimits = (store: Store, runId: string, limits: EngineLimits): void => {
  store.runs.setRunLimits(runId, JSON.stringify(limits));
};

/** The limits a run executes with; the defaults for a run from before they were kept. */
export const limitsOfRun = (run: RunRow): EngineLimits => {
  if (run.limits === null) return DEFAULT_LIMITS;
  let stored: unknown;
  try {
    stored = JSON.parse(run.limits);
  } catch {
    stored = undefined;
  }
  const parsed = KeptLimitsSchema.safeParse(stored);
  if (parsed.success) return parsed.data;
  throw new Error(`run ${run.id}: the limits stored with it are not valid: ${run.limits}`);
};
