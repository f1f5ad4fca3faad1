import { z } from "zod";
import { DEFAULT_MAX_OUTPUT } from "../data/outputs.js";
import type { RunRow } from "../store/rows.js";
import type { Store } from "../store/store.js";
import type { AttemptLimits } from "./attempt.js";

/** What protects orch from its tasks (docs/reliability.md, "Limits"). */
export interface EngineLimits extends AttemptLimits {
  /** Longest stdout line a task may write, in characters. */
  readonly maxLineLength: number;
  /** Seconds between SIGTERM and SIGKILL when a task times out or is interrupted. */
  readonly killGrace: number;
  /** Largest output value a task may give, in bytes of JSON. */
  readonly maxOutput: number;
}

/** A line carries one output value and the message around it. */
export const lineLimitFor = (maxOutput: number): number => maxOutput + 1024 * 1024;

export const DEFAULT_LIMITS: EngineLimits = {
  maxLineLength: lineLimitFor(DEFAULT_MAX_OUTPUT),
  maxNodes: 1_000_000,
  maxMutations: 1_000_000,
  killGrace: 5,
  maxOutput: DEFAULT_MAX_OUTPUT,
};

/** The limits as a run keeps them (`runs.limits`, JSON), for `orch resume` to execute it with the same. */
const KeptLimitsSchema = z.strictObject({
  maxLineLength: z.number().nonnegative(),
  maxNodes: z.number().nonnegative(),
  maxMutations: z.number().nonnegative(),
  killGrace: z.number().nonnegative(),
  maxOutput: z.number().nonnegative().default(DEFAULT_MAX_OUTPUT),
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
