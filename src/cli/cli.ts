import type { CommandModule } from "yargs";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { ORCH_VERSION } from "../package-root.js";
import { erased } from "./erased.js";
import { EXIT, exitCodeOfFailure } from "./errors.js";

/**
 * Every command, loaded on demand: `orch status` should not pay for loading the
 * engine, and a second terminal polling a live run calls it often.
 */
const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  start: async () => erased((await import("./commands/start.js")).startCommand),
  status: async () => erased((await import("./commands/status.js")).statusCommand),
  runs: async () => erased((await import("./commands/runs.js")).runsCommand),
  logs: async () => erased((await import("./commands/logs.js")).logsCommand),
  graph: async () => erased((await import("./commands/graph.js")).graphCommand),
  validate: async () => erased((await import("./commands/validate.js")).validateCommand),
  plugins: async () => erased((await import("./commands/plugins.js")).pluginsCommand),
  resume: async () => erased((await import("./commands/resume.js")).resumeCommand),
  pause: async () => erased((await import("./commands/control.js")).pauseCommand),
  cancel: async () => erased((await import("./commands/control.js")).cancelCommand),
  answer: async () => erased((await import("./commands/control.js")).answerCommand),
  restart: async () => erased((await import("./commands/restart.js")).restartCommand),
  init: async () => erased((await import("./commands/init.js")).initCommand),
  daemon: async () => erased((await import("./commands/daemon.js")).daemonCommand),
  schedule: async () => erased((await import("./commands/schedule.js")).scheduleCommand),
};

// A reader that stops early (`orch status --json | head`) closes the pipe: what
// is left to print has nowhere to go, which is not orch's failure. The command
// carries on (a run in the foreground keeps running; its progress is in the orch
// log) and nothing more is written there.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") return;
  process.exitCode = EXIT.failed;
  console.error(`orch: cannot write to standard output: ${error.message}`);
});
// Nowhere left to say that stderr failed.
process.stderr.on("error", () => {});

/** Parse the command line and run the command it names. */
export const runCli = async (): Promise<void> => {
  const named = process.argv[2];
  const wanted = named !== undefined && named in COMMANDS ? [named] : Object.keys(COMMANDS);
  const commands = await Promise.all(wanted.map((name) => COMMANDS[name]!()));

  const cli = yargs(hideBin(process.argv))
    .scriptName("orch")
    .usage("$0 <command> [options]")
    .option("db", {
      type: "string",
      describe: "SQLite database (default: $ORCH_DB, else .orch/orch.db)",
      global: true,
    })
    .command(commands)
    .demandCommand(1, "name a command")
    .strict()
    .help()
    // Given, not left to yargs: it looks for the package.json nearest the current
    // directory, which is the user's project (or nothing), not orch's.
    .version(ORCH_VERSION)
    .fail((message, error, y) => {
      const expected = error ? exitCodeOfFailure(error) : null;
      if (error && expected !== null) {
        console.error(`orch: ${error.message}`);
        process.exit(expected);
      }
      if (error) {
        console.error(`orch: internal error: ${error.message}`);
        if (process.env.ORCH_DEBUG) console.error(error.stack);
      } else {
        console.error(`orch: ${message}\n`);
        y.showHelp((help) => console.error(help));
      }
      process.exit(EXIT.usage);
    });

  await cli.parseAsync();
};
