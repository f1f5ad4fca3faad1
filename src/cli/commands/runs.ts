import { existsSync } from "node:fs";
import type { CommandModule } from "yargs";
import { resolveDbPath } from "../../store/db.js";
import { runListEntry } from "../../store/runs.js";
import { printable } from "../../util/printable.js";
import { type GlobalArgs, openStore, printJson } from "../context.js";

interface RunsArgs extends GlobalArgs {
  readonly json?: boolean | undefined;
}

export const runsCommand: CommandModule<object, RunsArgs> = {
  command: "runs",
  describe: "the runs in this database, newest first",
  builder: (y) =>
    y.option("json", {
      type: "boolean",
      describe: "print a JSON array (indented on a terminal, compact otherwise)",
    }) as never,
  handler: (args) => {
    if (!existsSync(resolveDbPath(args.db))) {
      console.log(args.json ? "[]" : "no runs yet");
      return;
    }
    const store = openStore(args, { readonly: true });
    try {
      const runs = store.runs.listRuns().map(runListEntry);
      if (args.json) {
        printJson(runs);
        return;
      }
      if (runs.length === 0) {
        console.log("no runs yet");
        return;
      }
      const ids = runs.map((run) => printable(run.id));
      const width = ids.reduce((w, id) => Math.max(w, id.length), "RUN".length);
      const created = runs[0]!.created_at.length;
      console.log(
        `${"RUN".padEnd(width)}  ${"STATUS".padEnd(11)}  ${"CREATED".padEnd(created)}  NAME`,
      );
      runs.forEach((run, i) => {
        console.log(
          `${ids[i]!.padEnd(width)}  ${run.status.padEnd(11)}  ${run.created_at.padEnd(created)}  ${printable(run.name)}`,
        );
      });
    } finally {
      store.close();
    }
  },
};
