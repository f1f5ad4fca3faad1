import { attemptQueries } from "./attempts.js";
import { daemonRunQueries } from "./daemon-runs.js";
import { type Db, openDb } from "./db.js";
import { historyQueries } from "./history.js";
import { graphQueries } from "./nodes.js";
import { runQueries } from "./runs.js";
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

  /**
   * better-sqlite3 builds four wrapper functions for every `db.transaction(fn)`:
   * one wrapper taking the work as its argument is built once instead, since
   * a transaction commits each task, between its exit and the next one's spawn.
   */
  readonly #immediate: (fn: () => unknown) => unknown;

  constructor(readonly db: Db) {
    this.#immediate = db.transaction((fn: () => unknown) => fn()).immediate;
    this.runs = runQueries(db);
    this.history = historyQueries(db);
    this.attempts = attemptQueries(db);
    this.graph = graphQueries(db);
    this.status = statusQueries(db);
    this.schedules = scheduleQueries(db);
    this.scheduledRuns = scheduledRunQueries(db);
    this.daemonRuns = daemonRunQueries(db);
  }

  static open(path: string, options: { readonly?: boolean } = {}): Store {
    return new Store(openDb(path, options));
  }

  /** Run `fn` in one IMMEDIATE transaction: all of it commits, or none. */
  transaction<T>(fn: () => T): T {
    return this.#immediate(fn) as T;
  }

  close(): void {
    this.db.close();
  }
}

export const now = (): string => new Date().toISOString();
