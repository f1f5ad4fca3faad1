import { resolve } from "node:path";
import { serve } from "@hono/node-server";
import { DEFAULT_LIMITS } from "../engine/limits.js";
import type { RotatingLog } from "../log/rotating-log.js";
import { registerDueRuns } from "../schedule/starter.js";
import { now, Store } from "../store/store.js";
import { errorMessage } from "../util/error-message.js";
import { createApi } from "./api.js";
import { Limiter } from "./limiter.js";
import { daemonRunControl } from "./run-control.js";
import { RunPool } from "./run-pool.js";
import {
  type DaemonState,
  readDaemonState,
  removeDaemonState,
  writeDaemonState,
  writeNewToken,
} from "./state-file.js";

export interface DaemonOptions {
  readonly db: string;
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  readonly maxTasks: number | null;
  readonly python: string;
  readonly log: RotatingLog;
  /** How often schedules are looked at. */
  readonly tickMs?: number;
}

export interface RunningDaemon {
  readonly state: DaemonState;
  readonly token: string;
  /** Interrupt the runs (left resumable), close the server and the database. */
  stop(why: string): Promise<void>;
}

/** A daemon already serving this database. */
export class DaemonRunning extends Error {
  constructor(readonly state: DaemonState) {
    super(
      `a daemon already serves ${state.db}: pid ${state.pid} at ${state.url} (stop it with \`orch daemon stop\`)`,
    );
  }
}

/** The host part of a URL: IPv6 addresses in brackets. */
const urlHost = (host: string): string => (host.includes(":") ? `[${host}]` : host);

/**
 * Start the daemon of a database: its HTTP API and page, the runs it was
 * executing when it last stopped, and its schedules. Returns once it listens.
 */
export const startDaemon = async (options: DaemonOptions): Promise<RunningDaemon> => {
  const db = resolve(options.db);
  const existing = readDaemonState(db);
  if (existing !== undefined) throw new DaemonRunning(existing);
  const { log } = options;
  const store = Store.open(db);
  const token = writeNewToken(db);
  const pool = new RunPool({
    store,
    dbPath: db,
    python: options.python,
    limits: DEFAULT_LIMITS,
    limiter: options.maxTasks === null ? undefined : new Limiter(options.maxTasks),
    log,
  });
  let port = options.port;
  const hosts = (): string[] => {
    const names = [urlHost(options.host)];
    if (options.host === "127.0.0.1" || options.host === "::1") names.push("localhost");
    return names.map((name) => `${name}:${port}`.toLowerCase());
  };
  const app = createApi({ store, pool, control: daemonRunControl(store, pool), token, hosts });
  const server = await new Promise<ReturnType<typeof serve>>((done, fail) => {
    const listening = serve(
      { fetch: app.fetch, port: options.port, hostname: options.host },
      (info) => {
        port = info.port;
        done(listening);
      },
    );
    listening.once("error", fail);
  });
  const state: DaemonState = {
    pid: process.pid,
    host: options.host,
    port,
    url: `http://${urlHost(options.host)}:${port}`,
    db,
    started_at: now(),
  };
  writeDaemonState(state);
  log.write(`daemon: listening at ${state.url} (pid ${process.pid})`);

  await pool.resumeOwnRuns();
  const tick = (): void => {
    for (const schedule of store.schedules.listSchedules()) {
      try {
        for (const { runId, scheduledFor } of registerDueRuns(
          store,
          schedule,
          DEFAULT_LIMITS,
          new Date(),
          log,
        )) {
          log.write(`schedule ${schedule.name}: started run ${runId} for ${scheduledFor}`);
          pool.execute(runId);
        }
      } catch (error) {
        log.write(`schedule ${schedule.name}: ${errorMessage(error)}`);
      }
    }
  };
  tick();
  const ticker = setInterval(tick, options.tickMs ?? 1000);

  let stopped: Promise<void> | null = null;
  const stop = (why: string): Promise<void> => {
    stopped ??= (async () => {
      clearInterval(ticker);
      log.write(`daemon: stopping (${why})`);
      const closed = new Promise<void>((done) => server.close(() => done()));
      if ("closeAllConnections" in server) server.closeAllConnections();
      await pool.stopAll(why);
      await closed;
      store.close();
      removeDaemonState(db);
      log.write("daemon: stopped");
    })();
    return stopped;
  };
  return { state, token, stop };
};
