/**
 * How an attempt stands: `lost` when orch stopped while it ran, `waiting` when
 * it asked a person, `cancelled` when orch stopped it (a cancel, a broken
 * promise). Only `failed` counts against the node's retries.
 */
export const ATTEMPT_STATUSES = [
  "running",
  "succeeded",
  "failed",
  "lost",
  "waiting",
  "cancelled",
] as const;
export type AttemptStatus = (typeof ATTEMPT_STATUSES)[number];
