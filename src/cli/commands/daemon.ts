import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { CommandModule } from "yargs";
import { DaemonRunning, startDaemon } from "../../daemon/daemon.js";
import {
  addressWithToken,
  type DaemonState,
  isAlive,
  readDaemonState,
  readToken,
} from "../../daemon/state-file.js";
import { resolvePython } from "../../engine/python.js";
import { resolveDbPath } from "../../store/db.js";
import { errorMessage } from "../../util/error-message.js";
import { type GlobalArgs, orchLogFor } from "../context.js";
import { UsageError } from "../errors.js";

interface DaemonArgs extends GlobalArgs {
  readonly action?: "status" | "stop" | undefined;
  readonly port: number;
  readonly host: string;
  readonly detach?: boolean | undefined;
  readonly "max-tasks"?: number | undefined;
  readonly python?: string | undefined;
}

export const DEFAULT_PORT = 8620;
const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "::1"]);

const printAddress = (state: DaemonState): void => {
  console.log(`orch daemon (pid ${state.pid}) serves ${state.db}`);
  console.log(`open ${addressWithToken(state, readToken(state.db))}`);
};

/** The daemon of this database, or a usage error saying how to start one. */
export const runningDaemon = (db: string): DaemonState => {
  const state = readDaemonState(resolve(db));
  if (state === undefined)
    throw new UsageError(
      `no daemon is running for ${db}; start one with \`orch daemon --detach --db ${db}\``,
    );
  return state;
};

/** Start the daemon in the background and return once it listens (or say why it did not start). */
const detach = async (args: DaemonArgs, db: string): Promise<void> => {
  const existing = readDaemonState(db);
  if (existing !== undefined) throw new UsageError(new DaemonRunning(existing).message);
  mkdirSync(dirname(db), { recursive: true, mode: 0o700 });
  const outputPath = `${db}.daemon.out`;
  const output = openSync(outputPath, "w", 0o600);
  const argv = [
    process.argv[1]!,
    "daemon",
    "--db",
    db,
    "--port",
    String(args.port),
    "--host",
    args.host,
  ];
  if (args["max-tasks"] !== undefined) argv.push("--max-tasks", String(args["max-tasks"]));
  if (args.python !== undefined) argv.push("--python", args.python);
  const child = spawn(process.execPath, argv, {
    detached: true,
    stdio: ["ignore", output, output],
  });
  closeSync(output);
  let exited = false;
  child.once("exit", () => {
    exited = true;
  });
  child.unref();
  for (;;) {
    const state = readDaemonState(db);
    if (state !== undefined && state.pid === child.pid) {
      printAddress(state);
      return;
    }
    if (exited || (child.pid !== undefined && !isAlive(child.pid))) {
      const said = readFileSync(outputPath, "utf8").trim();
      throw new UsageError(
        `the daemon did not start${said ? `: ${said.replace(/^orch: /, "")}` : ""}`,
      );
    }
    await sleep(50);
  }
};

/** Stop the daemon (SIGTERM: its runs are interrupted, resumable) and wait until it has gone. */
const stop = async (db: string): Promise<void> => {
  const state = runningDaemon(db);
  process.kill(state.pid, "SIGTERM");
  while (isAlive(state.pid)) await sleep(50);
  console.log(`orch daemon (pid ${state.pid}) stopped`);
};

const foreground = async (args: DaemonArgs, db: string): Promise<void> => {
  if (!LOCAL_HOSTS.has(args.host))
    console.error(
      `orch: warning: listening on ${args.host}: other machines can reach the API (the token still guards it)`,
    );
  const maxTasks = args["max-tasks"] ?? null;
  if (maxTasks !== null && (!Number.isInteger(maxTasks) || maxTasks < 1))
    throw new UsageError(`--max-tasks ${maxTasks}: expected a whole number ≥ 1`);
  let python: string;
  try {
    python = resolvePython(args.python);
  } catch (error) {
    throw new UsageError(errorMessage(error));
  }
  let daemon: Awaited<ReturnType<typeof startDaemon>>;
  try {
    daemon = await startDaemon({
      db,
      host: args.host,
      port: args.port,
      maxTasks,
      python,
      log: orchLogFor(args),
    });
  } catch (error) {
    throw new UsageError(errorMessage(error));
  }
  printAddress(daemon.state);
  await new Promise<void>((done) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      void daemon.stop(`received ${signal}`).then(done);
    };
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
  });
};

export const daemonCommand: CommandModule<object, DaemonArgs> = {
  command: "daemon [action]",
  describe: "the long-lived orchestrator, its HTTP API and web page; `status`, `stop`",
  builder: (y) =>
    y
      .positional("action", {
        choices: ["status", "stop"] as const,
        describe: "status: where it listens; stop: stop it (its runs resume when it starts again)",
      })
      .option("port", {
        type: "number",
        default: DEFAULT_PORT,
        describe: "port to listen on (0: any free port)",
      })
      .option("host", { type: "string", default: "127.0.0.1", describe: "address to listen on" })
      .option("detach", {
        type: "boolean",
        describe: "run in the background; return once it listens",
      })
      .option("max-tasks", {
        type: "number",
        describe: "most tasks running at once, over all runs",
      })
      .option("python", {
        type: "string",
        describe: "Python interpreter for tasks (default: $ORCH_PYTHON, else python3 on PATH)",
      }) as never,
  handler: async (args) => {
    const db = resolve(resolveDbPath(args.db));
    if (args.action === "status") {
      printAddress(runningDaemon(db));
      return;
    }
    if (args.action === "stop") return stop(db);
    if (args.detach) return detach(args, db);
    return foreground(args, db);
  },
};
