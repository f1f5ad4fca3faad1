import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningDaemon, startDaemon } from "../../src/daemon/daemon.js";
import { resolvePython } from "../../src/engine/python.js";
import { RotatingLog } from "../../src/log/rotating-log.js";

export interface TestDaemon {
  readonly daemon: RunningDaemon;
  readonly dir: string;
  readonly db: string;
  readonly url: string;
  /** fetch with the token (unless `auth: false`), against the daemon's own address. */
  readonly call: (path: string, init?: RequestInit & { auth?: boolean }) => Promise<Response>;
}

/** A daemon in this process on a free port, with its own database. */
export const testDaemon = async (options: { maxTasks?: number } = {}): Promise<TestDaemon> => {
  const dir = mkdtempSync(join(tmpdir(), "orch-daemon-"));
  const db = join(dir, "orch.db");
  const daemon = await startDaemon({
    db,
    host: "127.0.0.1",
    port: 0,
    maxTasks: options.maxTasks ?? null,
    python: resolvePython(undefined),
    log: new RotatingLog(join(dir, "orch.log")),
    tickMs: 200,
  });
  const url = daemon.state.url;
  const call = (path: string, init: RequestInit & { auth?: boolean } = {}) => {
    const headers = new Headers(init.headers);
    if (init.auth !== false) headers.set("authorization", `Bearer ${daemon.token}`);
    return fetch(`${url}${path}`, { ...init, headers });
  };
  return { daemon, dir, db, url, call };
};

/** Wait until `check` gives a value (polling every 50 ms). */
export const waitFor = async <T>(
  check: () => Promise<T | undefined> | T | undefined,
): Promise<T> => {
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};
