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
