import type { CommandModule } from "yargs";
import { NODE_ID_PATTERN } from "../../graph/ids.js";
import { cronProblem, nextTime } from "../../schedule/due.js";
import { now } from "../../store/store.js";
import { formatIssues, loadWorkflow } from "../../workflow/load.js";
import { type GlobalArgs, openStore, printJson } from "../context.js";
import { erased } from "../erased.js";
import { UsageError } from "../errors.js";

interface AddArgs extends GlobalArgs {
  readonly workflow: string;
  readonly cron?: string | undefined;
  readonly name?: string | undefined;
}
interface ListArgs extends GlobalArgs {
  readonly json?: boolean | undefined;
}
interface RmArgs extends GlobalArgs {
  readonly name: string;
}

const addCommand: CommandModule<object, AddArgs> = {
  command: "add <workflow>",
  describe: "run a workflow on a schedule (its own `schedule`, unless --cron is given)",
  builder: (y) =>
    y
      .positional("workflow", { type: "string", demandOption: true, describe: "the workflow file" })
      .option("cron", { type: "string", describe: 'cron expression, e.g. "0 2 * * *" (UTC)' })
      .option("name", {
        type: "string",
        describe: "the schedule's name (default: the workflow's)",
      }) as never,
  handler: (args) => {
    const loaded = loadWorkflow(args.workflow);
    if (!loaded.ok) throw new UsageError(formatIssues(loaded.file, loaded.issues));
    const own = loaded.value.workflow.schedule;
    if (args.cron === undefined && own === undefined)
      throw new UsageError(
        `${args.workflow} has no "schedule": give one there ({"cron": "0 2 * * *"}) or pass --cron`,
      );
    const timing = {
      cron: args.cron ?? own?.cron ?? "",
      timezone: args.cron === undefined ? (own?.timezone ?? "UTC") : "UTC",
      catchup: args.cron === undefined ? (own?.catchup ?? false) : false,
    };
    const why = cronProblem(timing.cron, timing.timezone);
    if (why !== undefined)
      throw new UsageError(
        `cron expression ${JSON.stringify(timing.cron)} (${timing.timezone}): ${why}`,
      );
    const name = args.name ?? loaded.value.workflow.name;
    if (!NODE_ID_PATTERN.test(name))
      throw new UsageError(
        `schedule name ${JSON.stringify(name)}: expected 1–128 letters, digits and ._:- (pass --name)`,
      );
    const store = openStore(args);
    try {
      if (store.schedules.getSchedule(name))
        throw new UsageError(
          `a schedule named ${name} exists already (\`orch schedule rm ${name}\` first)`,
        );
      store.schedules.addSchedule({
        name,
        workflow: loaded.value.file,
        ...timing,
        created_at: now(),
      });
    } finally {
      store.close();
    }
    const next = nextTime(timing, new Date());
    console.log(
      `schedule ${name}: ${timing.cron} (${timing.timezone}) runs ${args.workflow}; next at ${next?.toISOString() ?? "never"} (the daemon starts it)`,
    );
  },
};

const listCommand: CommandModule<object, ListArgs> = {
  command: "list",
  describe: "the schedules",
  builder: (y) => y.option("json", { type: "boolean", describe: "print a JSON array" }) as never,
  handler: (args) => {
    const store = openStore(args);
    try {
      const rows = store.schedules.listSchedules().map((s) => ({
        ...s,
        next: nextTime(s, new Date())?.toISOString() ?? null,
        last: store.scheduledRuns.latestScheduledTime(s.name) ?? null,
      }));
      if (args.json) return printJson(rows);
      if (rows.length === 0) console.log("no schedules");
      for (const s of rows)
        console.log(
          `${s.name}  ${s.cron} (${s.timezone}${s.catchup ? ", catchup" : ""})  next ${s.next ?? "never"}  ${s.workflow}`,
        );
    } finally {
      store.close();
    }
  },
};

const rmCommand: CommandModule<object, RmArgs> = {
  command: "rm <name>",
  describe: "remove a schedule",
  builder: (y) =>
    y.positional("name", { type: "string", demandOption: true, describe: "the schedule" }) as never,
  handler: (args) => {
    const store = openStore(args);
    try {
      if (!store.schedules.removeSchedule(args.name)) {
        const names = store.schedules.listSchedules().map((s) => s.name);
        throw new UsageError(
          `no schedule named ${args.name}${names.length > 0 ? ` (there are: ${names.join(", ")})` : ""}`,
        );
      }
      console.log(`schedule ${args.name} removed`);
    } finally {
      store.close();
    }
  },
};

export const scheduleCommand: CommandModule<object, GlobalArgs> = {
  command: "schedule",
  describe: "runs on a schedule, started by the daemon: add, list, rm",
  builder: (y) =>
    y
      .command([erased(addCommand), erased(listCommand), erased(rmCommand)])
      .demandCommand(1, "name a schedule command: add, list or rm") as never,
  handler: () => {},
};
