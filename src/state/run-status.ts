/** A run's status. Its own module, so readers of a run need not load the event schemas. */
export const RUN_STATUSES = [
  "running",
  "succeeded",
  "failed",
  "terminated",
  "interrupted",
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
