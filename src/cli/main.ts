#!/usr/bin/env node
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { graphCommand } from "./commands/graph.js";
import { logsCommand } from "./commands/logs.js";
import { resumeCommand } from "./commands/resume.js";
import { runsCommand } from "./commands/runs.js";
import { startCommand } from "./commands/start.js";
import { statusCommand } from "./commands/status.js";
import { validateCommand } from "./commands/validate.js";
import { EXIT, UsageError } from "./errors.js";

const cli = yargs(hideBin(process.argv))
  .scriptName("orch")
  .usage("$0 <command> [options]")
  .option("db", {
    type: "string",
    describe: "SQLite database (default: $ORCH_DB, else .orch/orch.db)",
    global: true,
  })
  .command(startCommand)
  .command(statusCommand)
  .command(runsCommand)
  .command(logsCommand)
  .command(graphCommand)
  .command(validateCommand)
  .command(resumeCommand)
  .demandCommand(1, "name a command")
  .strict()
  .help()
  .version()
  .fail((message, error, y) => {
    if (error instanceof UsageError) {
      console.error(`orch: ${error.message}`);
    } else if (error) {
      console.error(`orch: internal error: ${error.message}`);
      if (process.env.ORCH_DEBUG) console.error(error.stack);
    } else {
      console.error(`orch: ${message}\n`);
      console.error(y.help.toString?.() ?? "");
    }
    process.exit(EXIT.usage);
  });

try {
  await cli.parseAsync();
} catch (error) {
  console.error(`orch: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(EXIT.usage);
}
