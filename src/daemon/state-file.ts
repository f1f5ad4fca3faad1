import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { z } from "zod";
import { errorMessage } from "../util/error-message.js";

/** What a running daemon says about itself, beside its database. */
export const DaemonStateSchema = z.strictObject({
  pid: z.number().int().positive(),
  host: z.string(),
  port: z.number().int().positive(),
  /** The address to open, without the token. */
  url: z.string(),
  db: z.string(),
  started_at: z.string(),
});
export type DaemonState = z.infer<typeof DaemonStateSchema>;

/** The state file and the token file of the daemon of database `db`. */
export const daemonFiles = (db: string) => ({
  state: `${db}.daemon.json`,
  token: `${db}.daemon-token`,
});

export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

/** The daemon of this database, if one is running (a state file left by a dead one is ignored). */
export const readDaemonState = (db: string): DaemonState | undefined => {
  const { state } = daemonFiles(db);
  if (!existsSync(state)) return undefined;
  let parsed: DaemonState;
  try {
    parsed = DaemonStateSchema.parse(JSON.parse(readFileSync(state, "utf8")));
  } catch (error) {
    throw new Error(`${state}: not a daemon state file (${errorMessage(error)}); remove it`);
  }
  return isAlive(parsed.pid) ? parsed : undefined;
};

export const readToken = (db: string): string => readFileSync(daemonFiles(db).token, "utf8").trim();

/** A new token, written readable by the user only. */
export const writeNewToken = (db: string): string => {
  const token = randomBytes(24).toString("hex");
  writeFileSync(daemonFiles(db).token, `${token}\n`, { mode: 0o600 });
  return token;
};

export const writeDaemonState = (state: DaemonState): void => {
  writeFileSync(daemonFiles(state.db).state, `${JSON.stringify(state, null, 2)}\n`, {
    mode: 0o600,
  });
};

/** Remove the state file, if it is still this process's. */
export const removeDaemonState = (db: string, pid = process.pid): void => {
  const { state } = daemonFiles(db);
  try {
    if (DaemonStateSchema.parse(JSON.parse(readFileSync(state, "utf8"))).pid === pid)
      rmSync(state, { force: true });
  } catch {
    // Gone already, or another daemon's.
  }
};

/** The address a person opens: it sets the token cookie. */
export const addressWithToken = (state: DaemonState, token: string): string =>
  `${state.url}/?token=${token}`;
