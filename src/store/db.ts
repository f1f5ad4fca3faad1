import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { MIGRATIONS } from "./migrations.js";

export type Db = Database.Database;

/** Where the database lives: `--db`, else `$ORCH_DB`, else `.orch/orch.db` here. */
export const resolveDbPath = (flag: string | undefined, env = process.env): string =>
  flag ?? env.ORCH_DB ?? ".orch/orch.db";

/**
 * Open (creating on first use, readable by the user only) and migrate the
 * database. WAL lets other processes read a live run while it executes.
 */
export const openDb = (path: string, options: { readonly?: boolean } = {}): Db => {
  if (options.readonly && !existsSync(path)) {
    throw new Error(`no orch database at ${path} (run \`orch start\` first, or pass --db)`);
  }
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    closeSync(openSync(path, "a", 0o600));
    chmodSync(path, 0o600);
  }
  repairSidecars(path);
  const db = new Database(path);
  enableWal(db);
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
  // A task's mutations are staged in many small transactions: checkpointing
  // after every 4 MB of WAL (the default) rewrote the same index pages over and
  // over while a task streamed 100,000 nodes. 40 MB keeps checkpoints rare.
  db.pragma("wal_autocheckpoint = 10000");
  db.pragma("foreign_keys = ON");
  migrate(db);
  return db;
};

/**
 * Switch the database to WAL (a no-op once it is). Two processes opening a new
 * database at the same moment race for that switch, and SQLite reports the loser
 * busy at once, without waiting: it retries for up to a second.
 */
const enableWal = (db: Db): void => {
  for (let attempt = 1; ; attempt++) {
    try {
      db.pragma("journal_mode = WAL");
      return;
    } catch (error) {
      if ((error as { code?: unknown }).code !== "SQLITE_BUSY" || attempt === 100) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
};

export const schemaVersion = (db: Db): number =>
  db.pragma("user_version", { simple: true }) as number;

const migrate = (db: Db): void => {
  const current = schemaVersion(db);
  if (current > MIGRATIONS.length) {
    throw new Error(
      `the database schema is version ${current}, newer than this orch understands (${MIGRATIONS.length}); upgrade orch`,
    );
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      // Two orch processes opening a new database at once both read version 0
      // above: the one that takes the write lock second finds it done.
      if (schemaVersion(db) > version) return;
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
};

/**
 * SQLite creates the `-wal` and `-shm` files beside a database with the
 * database's own mode: reading a 0444 database left them read-only, and every
 * later write failed until they were removed by hand. Ours are made writable
 * again (by their owner only), before opening and after closing.
 */
export const repairSidecars = (path: string): void => {
  for (const sidecar of [`${path}-wal`, `${path}-shm`]) {
    const stat = statSync(sidecar, { throwIfNoEntry: false });
    if (stat === undefined || stat.uid !== process.getuid?.() || (stat.mode & 0o200) !== 0)
      continue;
    try {
      chmodSync(sidecar, 0o600);
    } catch {
      // Not ours to change after all: the write that needs it names the file.
    }
  }
};
