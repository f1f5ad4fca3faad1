import type { CommandModule } from "yargs";
import { formatIssues, loadWorkflow } from "../../workflow/load.js";
import { catalogIssues } from "../../workflow/plugin-checks.js";
import { pluginFolders } from "../../workflow/plugins.js";
import { discoverPlugins, type PluginInfo } from "../../workflow/python-steps.js";
import { printJsonText } from "../context.js";
import { UsageError } from "../errors.js";

interface PluginsArgs {
  readonly workflow?: string | undefined;
  readonly json?: boolean | undefined;
}

const describeType = (plugin: PluginInfo): string => {
  const lines = [
    `${plugin.type}${plugin.version ? ` ${plugin.version}` : ""}: ${plugin.description || "(no description)"}`,
  ];
  if (plugin.required_fields.length > 0)
    lines.push(`  required fields: ${plugin.required_fields.join(", ")}`);
  if (plugin.engines.length > 0) lines.push(`  engines: ${plugin.engines.join(", ")}`);
  if (plugin.param_schema !== null)
    lines.push(`  param schema: ${JSON.stringify(plugin.param_schema)}`);
  lines.push(`  source: ${plugin.source}`);
  return lines.join("\n");
};

export const pluginsCommand: CommandModule<object, PluginsArgs> = {
  command: "plugins",
  describe: "the task types nodes can use, with their metadata",
  builder: (y) =>
    y
      .option("workflow", {
        type: "string",
        describe: "also list the task types of this workflow's plugin folders",
      })
      .option("json", { type: "boolean", describe: "print a JSON array" }) as never,
  handler: (args) => {
    let folders: string[] = [];
    if (args.workflow !== undefined) {
      const loaded = loadWorkflow(args.workflow);
      if (!loaded.ok) throw new UsageError(formatIssues(loaded.file, loaded.issues));
      folders = pluginFolders(loaded.value);
    }
    const catalog = discoverPlugins(folders);
    const problems = catalogIssues(catalog);
    if (problems.length > 0)
      throw new UsageError(formatIssues(args.workflow ?? "plugins", problems));
    const types = [...catalog.types].sort((a, b) => a.type.localeCompare(b.type));
    if (args.json) printJsonText(JSON.stringify(types, null, 2));
    else console.log(types.map(describeType).join("\n\n"));
  },
};
