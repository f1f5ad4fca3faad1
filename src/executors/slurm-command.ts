import type { SlurmSpec } from "../workflow/executor-spec.js";

export interface SrunRequest {
  readonly spec: SlurmSpec;
  /** The job's name (see `attemptName`): how orch finds it again to cancel it. */
  readonly jobName: string;
  /** The workflow folder, absolute, on a filesystem every node shares. */
  readonly workflowDir: string;
  /** The task's script, absolute. */
  readonly script: string;
  readonly args: readonly string[];
}

/**
 * `srun -N1 -n1 --job-name NAME [options] python3 -u SCRIPT ARGS` as an argument
 * vector (no shell): srun relays the task's stdin, stdout and stderr, so the
 * protocol is the local one.
 */
export const srunArgv = (request: SrunRequest): [string, ...string[]] => {
  const { spec } = request;
  return [
    "srun",
    "-N1",
    "-n1",
    "--job-name",
    request.jobName,
    "--chdir",
    request.workflowDir,
    ...(spec.partition === undefined ? [] : ["--partition", spec.partition]),
    ...(spec.time === undefined ? [] : ["--time", spec.time]),
    ...(spec.cpus === undefined ? [] : ["--cpus-per-task", String(spec.cpus)]),
    ...(spec.mem === undefined ? [] : ["--mem", spec.mem]),
    ...spec.extra,
    "python3",
    "-u",
    request.script,
    ...request.args,
  ];
};

/**
 * `scancel` of the job named NAME. With a signal, the signal goes to the job's
 * running steps (the task's handlers run) and the job stays; without, the job is
 * cancelled (SIGTERM, then SIGKILL after the cluster's KillWait).
 */
export const scancelArgv = (
  jobName: string,
  options: { readonly signal?: "TERM" | "KILL"; readonly pendingOnly?: boolean } = {},
): [string, ...string[]] => [
  "scancel",
  "--name",
  jobName,
  ...(options.signal === undefined ? [] : ["--signal", options.signal]),
  ...(options.pendingOnly ? ["--state", "PENDING"] : []),
];
