import { existsSync, statSync, writeFileSync } from "node:fs";
import { relative } from "node:path";
import type { CommandModule } from "yargs";
import { stateBeforeRun } from "../../engine/register.js";
import type { Envelope } from "../../envelope/model.js";
import { resolveDbPath } from "../../store/db.js";
import type { HistoryBound } from "../../store/history.js";
import type { PastRun } from "../../store/past-runs.js";
import { formatIssues, loadWorkflow, workflowFileOf } from "../../workflow/load.js";
import { findRun, type GlobalArgs, openStore } from "../context.js";
import { required, UsageError } from "../errors.js";

interface GraphArgs extends GlobalArgs {
  readonly target?: string | undefined;
  readonly out?: string | undefined;
  readonly expand?: boolean | undefined;
  readonly at?: string | undefined;
}

const isWorkflowFile = (target: string): boolean => {
  const file = workflowFileOf(target);
  return file !== null && existsSync(file) && statSync(file).isFile();
};

const parseBound = async (at: string): Promise<HistoryBound> => {
  const { parseHistoryBound } = await import("../../envelope/of-run.js");
  const bound = parseHistoryBound(at);
  if (bound === undefined)
    throw new UsageError(`--at ${at}: expected an event number or a timestamp`);
  return bound;
};

export const graphCommand: CommandModule<object, GraphArgs> = {
  command: "graph [target]",
  describe: "draw the envelope of a run (default: the latest) or a workflow file",
  builder: (y) =>
    y
      .positional("target", { type: "string", describe: "a run id or a WORKFLOW.json" })
      .option("out", {
        type: "string",
        describe: "output file: .svg, .dot or .json (required)",
      })
      .option("expand", {
        type: "boolean",
        describe: "draw every node, no stacking of look-alike siblings",
      })
      .option("at", {
        type: "string",
        describe: "as it was at an event number or a timestamp",
      }) as never,
  handler: async (args) => {
    // Loaded here, not at start-up: the renderers pull in a WebAssembly Graphviz
    // that the other commands do not need.
    const { computeEnvelope } = await import("../../envelope/envelope.js");
    const { workflowHistory } = await import("../../envelope/history.js");
    const { withData } = await import("../../data/envelope-data.js");
    const { envelopeOfRun } = await import("../../envelope/of-run.js");
    const { formatFromPath, renderEnvelope } = await import("../../render/index.js");
    const out = required(args.out, "--out FILE", "orch graph [RUN | WORKFLOW.json] --out FILE");
    const format = formatFromPath(out);
    const expand = args.expand ?? false;
    let envelope: Envelope;
    let title: string;
    if (args.target !== undefined && isWorkflowFile(args.target)) {
      if (args.at !== undefined) throw new UsageError("--at needs a run, not a workflow file");
      const loaded = loadWorkflow(args.target);
      if (!loaded.ok) throw new UsageError(formatIssues(loaded.file, loaded.issues));
      const state = stateBeforeRun(loaded.value, relative(process.cwd(), loaded.value.file));
      let history: PastRun[] = [];
      // Drawing a workflow file needs no database; one that exists gives its history.
      if (existsSync(resolveDbPath(args.db))) {
        const store = openStore(args, { readonly: true });
        try {
          history = workflowHistory(store, loaded.value.workflow.name, null);
        } finally {
          store.close();
        }
      }
      envelope = withData(
        computeEnvelope(state.graph, state.book, { expand, history }),
        state.data,
      );
      title = `${loaded.value.workflow.name} (before running)`;
    } else {
      const store = openStore(args, { readonly: true });
      try {
        const run = findRun(store, args.target);
        const bound = args.at === undefined ? undefined : await parseBound(args.at);
        ({ envelope, title } = envelopeOfRun(store, run, {
          ...(bound === undefined ? {} : { bound, atLabel: args.at }),
          expand,
        }));
      } finally {
        store.close();
      }
    }
    writeFileSync(out, await renderEnvelope(envelope, format, { title }));
    const nodes = envelope.nodes.reduce((n, node) => n + node.count, 0);
    const stacks = nodes === envelope.nodes.length ? "" : ` (drawn as ${envelope.nodes.length})`;
    console.log(
      `${out}: ${nodes} nodes${stacks}, ${envelope.edges.length} edges, ${envelope.wildcards.length} wildcards`,
    );
  },
};
