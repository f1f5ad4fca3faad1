import { resolve } from "node:path";
import type { ExecutorLaunch } from "../executors/executor.js";
import type { Graph, GraphNode } from "../graph/graph.js";
import { DEFAULT_TRIGGER } from "../graph/trigger.js";
import { SDK_DIR } from "../package-root.js";
import type { RunInfo, StartMessage } from "../protocol/messages.js";
import type { RunRow } from "../store/rows.js";
import { taskCommand } from "./task-command.js";

export interface LaunchContext {
  readonly runId: string;
  /** The workflow's folder: tasks run there and `run` paths are relative to it. */
  readonly dir: string;
  readonly python: string;
  /** The run's plugin folders (absolute), where `uses` nodes' task types are found. */
  readonly pluginFolders: readonly string[];
  /** What every task of the run is told about it, when there is something to tell. */
  readonly run?: RunInfo;
  /** The run's graph: a node with a non-default trigger is told how its predecessors ended. */
  readonly graph: Graph;
}

/** What the start message says of a run: its scheduled time, if a schedule started it. */
export const runInfoOf = (run: RunRow | undefined): RunInfo | undefined => {
  const scheduledFor = run?.scheduled_for ?? null;
  return scheduledFor === null ? undefined : { scheduled_for: scheduledFor };
};

/** What an executor needs to start attempt `attempt` of `node`. */
export const launchFor = (
  context: LaunchContext,
  node: GraphNode,
  attempt: number,
  logPath: string,
  /** What else the start message carries: the resolved `inputs`, the run's `run` fields, the answers. */
  extra: Pick<StartMessage, "inputs" | "run" | "answers" | "iteration"> = {},
): ExecutorLaunch => {
  const start: StartMessage = {
    type: "start",
    run_id: context.runId,
    node: { id: node.id, params: { ...node.params } },
    attempt,
    ...(extra.inputs === undefined ? {} : { inputs: extra.inputs }),
    ...(context.run === undefined && extra.run === undefined
      ? {}
      : { run: { ...context.run, ...extra.run } }),
    ...(extra.answers === undefined ? {} : { answers: extra.answers }),
    ...(extra.iteration === undefined ? {} : { iteration: extra.iteration }),
    ...(node.trigger === DEFAULT_TRIGGER ? {} : { upstream: upstreamOf(context.graph, node) }),
  };
  return {
    runId: context.runId,
    nodeId: node.id,
    attempt,
    argv: taskCommand(node, context),
    cwd: resolve(context.dir),
    env: {
      PYTHONPATH: sdkPythonPath(),
      ORCH_RUN_ID: context.runId,
      ORCH_NODE_ID: node.id,
      ORCH_ATTEMPT: String(attempt),
    },
    stdin: `${JSON.stringify(start)}\n`,
    logPath: resolve(logPath),
  };
};

/** Each predecessor's status and the reason it was given, for a compensating task to read. */
const upstreamOf = (graph: Graph, node: GraphNode): NonNullable<StartMessage["upstream"]> =>
  Object.fromEntries(
    [...graph.predecessors(node.id)].map((id) => {
      const before = graph.node(id)!;
      return [id, { status: before.status, reason: before.reason }];
    }),
  );

/** orch's PYTHONPATH for tasks: the SDK first, then whatever orch was given. */
export const sdkPythonPath = (): string => {
  const pythonPath = process.env.PYTHONPATH;
  return pythonPath ? `${SDK_DIR}:${pythonPath}` : SDK_DIR;
};
