/** A run's status. Its own module, so readers of a run need not load the event schemas. */
export const RUN_STATUSES = [
  "running",
  "paused",
  "succeeded",
  "failed",
  "terminated",
  "interrupted",
  "cancelled",
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** A run that has ended: only `orch restart` opens it again. */
export const ENDED_RUN_STATUSES: readonly RunStatus[] = [
  "succeeded",
  "failed",
  "terminated",
  "cancelled",
];
