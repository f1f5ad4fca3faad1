import { existsSync, statSync, writeFileSync } from "node:fs";
import { relative } from "node:path";
import type { CommandModule } from "yargs";
import { stateBeforeRun } from "../../engine/register.js";
import { RunState } from "../../state/run-state.js";
import { resolveDbPath } from "../../store/db.js";
import type { HistoryBound } from "../../store/history.js";
import type { PastRun } from "../../store/past-runs.js";
import { formatIssues, loadWorkflow } from "../../workflow/load.js";
import { findRun, type GlobalArgs, openStore } from "../context.js";
import { required, UsageError } from "../errors.js";

interface GraphArgs extends GlobalArgs {
  readonly target?: string | undefined;
  readonly out?: string | undefined;
  readonly expand?: boolean | undefined;
  readonly at?: string | undefined;
}

const isWorkflowFile = (target: string): boolean =>
  target.endsWith(".json") && existsSync(target) && statSync(target).isFile();

const parseBound = (at: string): HistoryBound => {
  if (/^\d+$/.test(at)) return { seq: Number(at) };
  const time = Date.parse(at);
  if (Number.isNaN(time))
    throw new UsageError(`--at ${at}: expected an event number or a timestamp`);
  return { at: new Date(time).toISOString() };
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
    const { formatFromPath, renderEnvelope } = await import("../../render/index.js");
    const out = required(args.out, "--out FILE", "orch graph [RUN | WORKFLOW.json] --out FILE");
    const format = formatFromPath(out);
    let state: RunState;
    let title: string;
    let history: PastRun[] = [];
    if (args.target !== undefined && isWorkflowFile(args.target)) {
      if (args.at !== undefined) throw new UsageError("--at needs a run, not a workflow file");
      const loaded = loadWorkflow(args.target);
      if (!loaded.ok) throw new UsageError(formatIssues(loaded.file, loaded.issues));
      state = stateBeforeRun(loaded.value, relative(process.cwd(), loaded.value.file));
      title = `${loaded.value.workflow.name} (before running)`;
      // Drawing a workflow file needs no database; one that exists gives its history.
      if (existsSync(resolveDbPath(args.db))) {
        const store = openStore(args, { readonly: true });
        try {
          history = workflowHistory(store, loaded.value.workflow.name, null);
        } finally {
          store.close();
        }
      }
    } else {
      const store = openStore(args, { readonly: true });
      try {
        const run = findRun(store, args.target);
        history = workflowHistory(store, run.name, run.id);
        const bound = args.at === undefined ? undefined : parseBound(args.at);
        // One read transaction, so history and provisional rows are from one moment.
        state = store.db.transaction(() =>
          RunState.replay(
            store.history.read(run.id, bound).map((e) => e.event),
            bound === undefined ? store.history.readProvisional(run.id) : [],
          ),
        )();
        title = `${run.name} — run ${run.id} (${bound === undefined ? state.status : `at ${args.at}`})`;
      } finally {
        store.close();
      }
    }
    const envelope = withData(
      computeEnvelope(state.graph, state.book, { expand: args.expand ?? false, history }),
      state.data,
    );
    writeFileSync(out, await renderEnvelope(envelope, format, { title }));
    const nodes = envelope.nodes.reduce((n, node) => n + node.count, 0);
    const stacks = nodes === envelope.nodes.length ? "" : ` (drawn as ${envelope.nodes.length})`;
    console.log(
      `${out}: ${nodes} nodes${stacks}, ${envelope.edges.length} edges, ${envelope.wildcards.length} wildcards`,
    );
  },
};
