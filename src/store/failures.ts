/**
 * Why this orch process cannot go on writing a run: its storage failed, or
 * another orch process has taken the run over. Both end the command with exit 5;
 * the run is left for `orch resume` (unless its database file is gone).
 */

/** Another orch process claimed the run: this one must write nothing more. */
export class FencedOut extends Error {
  override readonly name = "FencedOut";
  constructor(
    readonly runId: string,
    readonly ownerPid: number | null,
  ) {
    super(
      `run ${runId} was taken over by another orch process${ownerPid === null ? "" : ` (pid ${ownerPid})`}; this one stops without writing anything more`,
    );
  }
}

/** A file orch keeps its state or logs in could not be written. */
export class StorageFailure extends Error {
  override readonly name = "StorageFailure";
  constructor(
    readonly file: string,
    readonly why: string,
    readonly advice: string,
  ) {
    super(`cannot write ${file}: ${why}; ${advice}`);
  }
}

const RESUMABLE = "the run is left as it was: `orch resume RUN` carries on once this is fixed";

/** The database file was removed or replaced while this process used it. */
export const databaseGone = (file: string, how: "removed" | "replaced"): StorageFailure =>
  new StorageFailure(
    file,
    `the database file was ${how} while orch was using it`,
    "a removed database cannot be resumed from; what this run did since is lost",
  );

const SQLITE_CAUSES: readonly (readonly [RegExp, string, string])[] = [
  [/^SQLITE_FULL/, "the disk is full", `free some space; ${RESUMABLE}`],
  [
    /^SQLITE_READONLY/,
    "the database is read-only",
    `make it and its folder writable (chmod u+w), or pass --db; ${RESUMABLE}`,
  ],
  [/^SQLITE_IOERR|^SQLITE_CANTOPEN/, "an I/O error", `check the disk; ${RESUMABLE}`],
  [/^SQLITE_CORRUPT|^SQLITE_NOTADB/, "the database is damaged", "restore it from a copy"],
];

/** What a SQLite error means for the file, when it is a storage failure (not a bug of orch's). */
export const sqliteStorageFailure = (error: unknown, file: string): StorageFailure | null => {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return null;
  const known = SQLITE_CAUSES.find(([pattern]) => pattern.test(code));
  if (known === undefined) return null;
  const detail = error instanceof Error ? ` (${error.message})` : "";
  return new StorageFailure(file, `${known[1]}${detail}`, known[2]);
};

const ERRNO_CAUSES: Readonly<Record<string, string>> = {
  ENOSPC: "the disk is full",
  EDQUOT: "the disk quota is exhausted",
  EROFS: "the file system is read-only",
  EACCES: "permission denied",
  EIO: "an I/O error",
};

/** What a file-system error writing `file` means, when it is a storage failure. */
export const fileStorageFailure = (error: unknown, file: string): StorageFailure | null => {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string" || !(code in ERRNO_CAUSES)) return null;
  return new StorageFailure(file, `${ERRNO_CAUSES[code]} (${code})`, `fix it; ${RESUMABLE}`);
};

/** Whether `error` means this process cannot go on writing the run (rather than a task's failure). */
export const cannotGoOn = (error: unknown): error is FencedOut | StorageFailure =>
  error instanceof FencedOut || error instanceof StorageFailure;
