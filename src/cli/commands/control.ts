import type { CommandModule } from "yargs";
import { type CommandResult, type GivenCommand, giveCommand } from "../../engine/give-command.js";
import type { Store } from "../../store/store.js";
import { printable } from "../../util/printable.js";
import { findRun, type GlobalArgs, openStore } from "../context.js";
import { EXIT, required, UsageError } from "../errors.js";

interface ControlArgs extends GlobalArgs {
  readonly run?: string | undefined;
}

interface AnswerArgs extends ControlArgs {
  readonly node?: string | undefined;
  readonly json?: string | undefined;
}

/** Print what became of a command; its exit code (0 taken, 2 refused). */
export const reportCommand = (runId: string, what: string, result: CommandResult): number => {
  if (result.ok) {
    console.log(`run ${printable(runId)}: ${printable(result.says)}`);
    return EXIT.ok;
  }
  console.error(`orch: ${what} refused: ${printable(result.reason)}`);
  return EXIT.usage;
};

/** Give a command to the run named on the command line and report it. */
export const runCommand = async (
  store: Store,
  runArg: string | undefined,
  usage: string,
  command: GivenCommand,
): Promise<number> => {
  const runId = required(runArg, "RUN", usage);
  const run = findRun(store, runId);
  const result = await giveCommand(store, run.id, command);
  return reportCommand(run.id, `orch ${command.command}`, result);
};

const simple = (
  command: "pause" | "cancel",
  describe: string,
): CommandModule<object, ControlArgs> => ({
  command: `${command} [run]`,
  describe,
  builder: (y) => y.positional("run", { type: "string", describe: "the run id" }) as never,
  handler: async (args) => {
    const store = openStore(args);
    try {
      process.exitCode = await runCommand(store, args.run, `orch ${command} RUN`, {
        command,
        node: null,
        value: null,
      });
    } finally {
      store.close();
    }
  },
});

export const pauseCommand = simple(
  "pause",
  "start no new task in a run; running ones finish (orch resume carries on)",
);

export const cancelCommand = simple("cancel", "stop a run's running tasks and end it as cancelled");

/** The value of `--json`, parsed. */
const parseAnswer = (text: string): string => {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch (error) {
    throw new UsageError(
      `--json ${text}: not valid JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
};

export const answerCommand: CommandModule<object, AnswerArgs> = {
  command: "answer [run] [node]",
  describe: "give a waiting node the input it asked for",
  builder: (y) =>
    y
      .positional("run", { type: "string", describe: "the run id" })
      .positional("node", { type: "string", describe: "the waiting node" })
      .option("json", { type: "string", describe: "the answer, as JSON" }) as never,
  handler: async (args) => {
    const usage = "orch answer RUN NODE --json VALUE";
    const node = required(args.node, "NODE", usage);
    const value = parseAnswer(required(args.json, "--json VALUE", usage));
    const store = openStore(args);
    try {
      process.exitCode = await runCommand(store, args.run, usage, {
        command: "answer",
        node,
        value,
      });
    } finally {
      store.close();
    }
  },
};
