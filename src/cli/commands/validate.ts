import type { CommandModule } from "yargs";
import { formatIssues, loadWorkflow } from "../../workflow/load.js";
import { workflowWarnings } from "../../workflow/warnings.js";
import { required, UsageError } from "../errors.js";

interface ValidateArgs {
  readonly workflow?: string | undefined;
}

export const validateCommand: CommandModule<object, ValidateArgs> = {
  command: "validate [workflow]",
  describe:
    "check a workflow (JSON or Python file) and its promises, plugins and types without running it",
  builder: (y) =>
    y.positional("workflow", {
      type: "string",
      describe: "the workflow: a JSON file, or a Python file (pipeline.py or pipeline.py:NAME)",
    }) as never,
  handler: (args) => {
    const file = required(args.workflow, "WORKFLOW", "orch validate WORKFLOW.json");
    const loaded = loadWorkflow(file);
    if (!loaded.ok) throw new UsageError(formatIssues(loaded.file, loaded.issues));
    const { workflow } = loaded.value;
    const edges =
      workflow.edges.length + workflow.nodes.reduce((n, node) => n + node.depends_on.length, 0);
    const promises =
      workflow.promises.length + workflow.nodes.reduce((n, node) => n + node.promises.length, 0);
    for (const warning of workflowWarnings(workflow)) console.error(`${file}: warning: ${warning}`);
    console.log(
      `${file}: ok — ${workflow.name}: ${workflow.nodes.length} nodes, ${edges} edges, ${promises} promises`,
    );
  },
};
