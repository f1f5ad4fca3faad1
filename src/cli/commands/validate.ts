import type { CommandModule } from "yargs";
import { formatIssues, loadWorkflow } from "../../workflow/load.js";
import { UsageError } from "../errors.js";

interface ValidateArgs {
  readonly workflow: string;
}

export const validateCommand: CommandModule<object, ValidateArgs> = {
  command: "validate <workflow>",
  describe:
    "check a workflow (JSON or Python file) and its promises, plugins and types without running it",
  builder: (y) => y.positional("workflow", { type: "string", demandOption: true }) as never,
  handler: (args) => {
    const loaded = loadWorkflow(args.workflow);
    if (!loaded.ok) throw new UsageError(formatIssues(loaded.file, loaded.issues));
    const { workflow } = loaded.value;
    const edges =
      workflow.edges.length + workflow.nodes.reduce((n, node) => n + node.depends_on.length, 0);
    const promises =
      workflow.promises.length + workflow.nodes.reduce((n, node) => n + node.promises.length, 0);
    console.log(
      `${args.workflow}: ok — ${workflow.name}: ${workflow.nodes.length} nodes, ${edges} edges, ${promises} promises`,
    );
  },
};
