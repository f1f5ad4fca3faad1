import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import type { CommandModule } from "yargs";
import { PACKAGE_ROOT } from "../../package-root.js";
import { UsageError } from "../errors.js";

interface InitArgs {
  readonly dir?: string | undefined;
}

/** The example `orch init` writes: a workflow, its tasks, a promise. */
const TEMPLATE_DIR = join(PACKAGE_ROOT, "templates", "init");
/** The installed JSON Schema that editors check the workflow file against. */
const WORKFLOW_SCHEMA = join(PACKAGE_ROOT, "schemas", "workflow.schema.json");

/** Every file of a directory, as paths relative to it, sorted. */
const filesUnder = (dir: string, prefix = ""): string[] =>
  readdirSync(join(dir, prefix), { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(prefix, entry.name);
      return entry.isDirectory() ? filesUnder(dir, path) : [path];
    })
    .sort();

/** A file's content as written: the workflow names the installed schema first. */
const contentOf = (path: string): string => {
  const text = readFileSync(join(TEMPLATE_DIR, path), "utf8");
  if (path !== "workflow.json") return text;
  const workflow: unknown = JSON.parse(text);
  return `${JSON.stringify({ $schema: WORKFLOW_SCHEMA, ...(workflow as object) }, null, 2)}\n`;
};

export const initCommand: CommandModule<object, InitArgs> = {
  command: "init [dir]",
  describe: "write a small working example (a workflow, its tasks, a promise) to start from",
  builder: (y) =>
    y.positional("dir", {
      type: "string",
      describe: "where to write it (default: the current directory)",
    }) as never,
  handler: (args) => {
    const dir = resolve(args.dir ?? ".");
    if (existsSync(dir) && !statSync(dir).isDirectory())
      throw new UsageError(`${args.dir}: exists and is not a directory`);
    const files = filesUnder(TEMPLATE_DIR);
    const taken = files.filter((path) => existsSync(join(dir, path)));
    if (taken.length > 0) {
      throw new UsageError(
        `not overwriting what is there already: ${taken.map((p) => join(dir, p)).join(", ")}`,
      );
    }
    for (const path of files) {
      mkdirSync(join(dir, path, ".."), { recursive: true });
      writeFileSync(join(dir, path), contentOf(path), { flag: "wx" });
    }
    const here = relative(process.cwd(), dir) || ".";
    const workflow = join(here, "workflow.json");
    console.log(`wrote ${files.map((p) => join(here, p)).join(", ")}`);
    const next: [string, string][] = [
      [`orch graph ${workflow} --out before.svg`, "every graph it can become"],
      [`orch start ${workflow}`, "run it"],
      ["orch status", "what happened"],
    ];
    const width = Math.max(...next.map(([command]) => command.length));
    next.forEach(([command, what], i) => {
      console.log(`${i === 0 ? "next:" : "     "} ${command.padEnd(width)}   # ${what}`);
    });
  },
};
