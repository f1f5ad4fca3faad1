/** Exit codes of `orch start`, used by every command. */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  terminated: 3,
  interrupted: 130,
} as const;

/** A problem with what the user asked for: printed without a stack trace, exit 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/**
 * An argument the command cannot do without. Checked here, not by yargs: yargs
 * reports a missing argument before an unknown flag, so `orch logs --follw RUN`
 * would say that RUN is missing rather than that `--follw` is unknown.
 */
export const required = <T>(value: T | undefined, what: string, usage: string): T => {
  if (value === undefined) throw new UsageError(`missing ${what}: ${usage}`);
  return value;
};
