import { z } from "zod";
import { RUN_COMMANDS } from "../state/events.js";
import type { Db } from "./db.js";

export const CommandRowSchema = z.object({
  id: z.number().int(),
  run_id: z.string(),
  command: z.enum(RUN_COMMANDS),
  node_id: z.string().nullable(),
  /** JSON text: the answer of an `answer` command. */
  value: z.string().nullable(),
  given_by: z.string(),
  given_at: z.string(),
  state: z.enum(["pending", "acknowledged", "refused"]),
  reason: z.string().nullable(),
  handled_at: z.string().nullable(),
});
export type CommandRow = z.infer<typeof CommandRowSchema>;

export interface NewCommand {
  readonly runId: string;
  readonly command: CommandRow["command"];
  readonly node: string | null;
  readonly value: string | null;
  readonly by: string;
  readonly at: string;
}

/** The command inbox: commands given to a run, waiting for the process that executes it. */
export const commandQueries = (db: Db) => {
  const insert = db.prepare(
    `INSERT INTO commands (run_id, command, node_id, value, given_by, given_at)
     VALUES (@runId, @command, @node, @value, @by, @at) RETURNING id`,
  );
  const pending = db.prepare(
    "SELECT * FROM commands WHERE run_id = ? AND state = 'pending' ORDER BY id",
  );
  const byId = db.prepare("SELECT * FROM commands WHERE id = ?");
  const settle = db.prepare(
    "UPDATE commands SET state = @state, reason = @reason, handled_at = @at WHERE id = @id",
  );
  return {
    give: (command: NewCommand): number =>
      z.object({ id: z.number().int() }).parse(insert.get(command)).id,
    pending: (runId: string): CommandRow[] =>
      pending.all(runId).map((row) => CommandRowSchema.parse(row)),
    get: (id: number): CommandRow | undefined => {
      const row = byId.get(id);
      return row === undefined ? undefined : CommandRowSchema.parse(row);
    },
    /** The executing process took the command (reason: what it says), or refused it (why). */
    settle: (id: number, state: "acknowledged" | "refused", reason: string, at: string): void => {
      settle.run({ id, state, reason, at });
    },
  };
};
