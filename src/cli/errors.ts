import { cannotGoOn } from "../store/failures.js";

/** Exit codes of `orch start`, `orch resume` and `orch restart`, used by every command. */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  terminated: 3,
  /** The run was cancelled (`orch cancel`). */
  cancelled: 4,
  /** This process cannot go on: its storage failed, or another orch took the run over. */
  storage: 5,
  interrupted: 130,
} as const;

/** A problem with what the user asked for: printed without a stack trace, exit 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The exit code for an error that ends this process without a run outcome, when it is one orch expects. */
export const exitCodeOfFailure = (error: unknown): number | null => {
  if (cannotGoOn(error)) return EXIT.storage;
  if (error instanceof UsageError) return EXIT.usage;
  return null;
};

/**
 * An argument the command cannot do without. Checked here, not by yargs: yargs
 * reports a missing argument before an unknown flag, so `orch logs --follw RUN`
 * would say that RUN is missing rather than that `--follw` is unknown.
 */
export const required = <T>(value: T | undefined, what: string, usage: string): T => {
  if (value === undefined) throw new UsageError(`missing ${what}: ${usage}`);
  return value;
};
