import { attemptQueries } from "./attempts.js";
import { commandQueries } from "./commands.js";
import { daemonRunQueries } from "./daemon-runs.js";
import { type Db, openDb, repairSidecars } from "./db.js";
import { FencedOut, sqliteStorageFailure } from "./failures.js";
import { FileIdentity } from "./file-identity.js";
import { historyQueries } from "./history.js";
import { graphQueries } from "./nodes.js";
import { pastRunQueries } from "./past-runs.js";
import { type RunOwner, runQueries } from "./runs.js";
import { scheduledRunQueries } from "./scheduled-runs.js";
import { scheduleQueries } from "./schedules.js";
import { statusQueries } from "./status-document.js";

/** The database and every prepared statement orch runs against it. */
export class Store {
  readonly runs;
  readonly history;
  readonly attempts;
  readonly graph;
  readonly status;
  readonly schedules;
  readonly scheduledRuns;
  readonly daemonRuns;
  readonly past;
  readonly commands;

  /**
   * better-sqlite3 builds four wrapper functions for every `db.transaction(fn)`:
   * one wrapper taking the work as its argument is built once instead, since
   * a transaction commits each task, between its exit and the next one's spawn.
   */
  readonly #immediate: (fn: () => unknown) => unknown;
  /** The run this process executes, and the epoch of its claim: writes check it. */
  #fence: { readonly runId: string; readonly epoch: number } | null = null;
  readonly #identity: FileIdentity | null;
  /** Told how long a transaction has waited for a lock another process holds. */
  onLockWait: ((seconds: number) => void) | null = null;

  /** `path`: the database file, named in errors and checked for removal before each write. */
  constructor(
    readonly db: Db,
    readonly path: string | null = null,
  ) {
    this.#identity = path === null ? null : FileIdentity.of(path);
    this.#immediate = db.transaction((fn: () => unknown) => fn()).immediate;
    this.runs = runQueries(db);
    this.history = historyQueries(db);
    this.attempts = attemptQueries(db);
    this.graph = graphQueries(db);
    this.status = statusQueries(db);
    this.schedules = scheduleQueries(db);
    this.scheduledRuns = scheduledRunQueries(db);
    this.daemonRuns = daemonRunQueries(db);
    this.past = pastRunQueries(db);
    this.commands = commandQueries(db);
  }

  static open(path: string, options: { readonly?: boolean } = {}): Store {
    return new Store(openDb(path, options), path);
  }

  /**
   * Run `fn` in one IMMEDIATE transaction: all of it commits, or none. It is
   * refused (`FencedOut`) once another process has claimed the run this one
   * executes, and (`StorageFailure`) when the database file is gone or cannot
   * be written. A write lock held by another process is waited for, however long.
   */
  transaction<T>(fn: () => T): T {
    const started = Date.now();
    for (;;) {
      this.#identity?.check();
      let began = false;
      try {
        return this.#immediate(() => {
          began = true;
          this.#checkFence();
          return fn();
        }) as T;
      } catch (error) {
        // The busy timeout ran out before the transaction began: wait again.
        if (!began && (error as { code?: unknown }).code === "SQLITE_BUSY") {
          this.onLockWait?.((Date.now() - started) / 1000);
          continue;
        }
        throw (this.path === null ? null : sqliteStorageFailure(error, this.path)) ?? error;
      }
    }
  }

  /**
   * Claim `runId` for `owner` under a new epoch (inside a transaction): from now
   * on this process's writes go through only while that epoch is the run's.
   */
  claim(runId: string, owner: RunOwner, at: string): number {
    const epoch = this.runs.claimRun(runId, owner, at);
    this.#fence = { runId, epoch };
    return epoch;
  }

  #checkFence(): void {
    if (this.#fence === null) return;
    const current = this.runs.fenceOf(this.#fence.runId);
    if (current?.epoch !== this.#fence.epoch)
      throw new FencedOut(this.#fence.runId, current?.owner_pid ?? null);
  }

  close(): void {
    this.db.close();
    if (this.path !== null) repairSidecars(this.path);
  }
}

export const now = (): string => new Date().toISOString();
