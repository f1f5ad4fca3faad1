import { createHash } from "node:crypto";

/** Characters container engines and Slurm accept in a name, after a leading letter or digit. */
const UNSAFE = /[^A-Za-z0-9_.-]/g;
const MAX_LENGTH = 128;

/**
 * The name of one attempt's container or Slurm job, `orch-RUN-NODE-ATTEMPT`: a
 * later orch finds what a dead one left from the run's attempts alone. Characters
 * an engine refuses become `_`; when that (or shortening) changes the name, a
 * digest of the exact run and node keeps two attempts from sharing it.
 */
export const attemptName = (runId: string, nodeId: string, attempt: number): string => {
  const plain = `orch-${runId}-${nodeId}-${attempt}`;
  const safe = plain.replace(UNSAFE, "_");
  if (safe === plain && plain.length <= MAX_LENGTH) return plain;
  const digest = createHash("sha256").update(`${runId}\0${nodeId}`).digest("hex").slice(0, 10);
  const tail = `-${digest}-${attempt}`;
  return `${safe.slice(0, MAX_LENGTH - tail.length)}${tail}`;
};
