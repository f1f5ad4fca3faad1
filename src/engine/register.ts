import { impliedPredecessors } from "../data/bindings.js";
import { edgeKey } from "../data/run-data.js";
import { nodeDataOf } from "../data/schema.js";
import type { PromiseOrigin } from "../promises/types.js";
import type { RunEvent } from "../state/events.js";
import { RunState } from "../state/run-state.js";
import type { Store } from "../store/store.js";
import { now } from "../store/store.js";
import type { LoadedWorkflow } from "../workflow/load.js";
import { pluginFolders } from "../workflow/plugins.js";
import { policyOf } from "../workflow/policy.js";
import { taskRefOf } from "../workflow/task-ref.js";
import { type EngineLimits, keepLimits } from "./limits.js";
import { thisProcess } from "./ownership.js";

/**
 * The registration phase: a workflow file as the first events of a run — its
 * nodes, its edges (with `depends_on` spelled out), then its promises.
 */
export const registrationEvents = (
  loaded: LoadedWorkflow,
  fileLabel: string,
  runParams: Readonly<Record<string, unknown>> = {},
): RunEvent[] => {
  const { workflow } = loaded;
  const events: RunEvent[] = [];
  if (Object.keys(runParams).length > 0)
    events.push({ type: "run_params", params: { ...runParams } });
  if (workflow.runtime_executors)
    events.push({ type: "defaults", policy: workflow.defaults, runtime_executors: true });
  else if (Object.keys(workflow.defaults).length > 0)
    events.push({ type: "defaults", policy: workflow.defaults });
  if (workflow.preload.length > 0) events.push({ type: "preload", modules: workflow.preload });
  if (workflow.plugins.length > 0) events.push({ type: "plugins", folders: pluginFolders(loaded) });
  for (const node of workflow.nodes) {
    const policy = policyOf(node);
    events.push({
      type: "node_added",
      id: node.id,
      run: taskRefOf(node),
      args: node.args,
      params: node.params,
      created_by: null,
      ...(Object.keys(policy).length > 0 ? { policy } : {}),
      ...(node.trigger === undefined ? {} : { trigger: node.trigger }),
      ...nodeDataOf(node),
    });
  }
  const added = new Set<string>();
  const addEdge = (edge: RunEvent & { type: "edge_added" }) => {
    if (added.has(edgeKey(edge.from, edge.to))) return;
    added.add(edgeKey(edge.from, edge.to));
    events.push(edge);
  };
  for (const node of workflow.nodes) {
    for (const from of node.depends_on)
      addEdge({ type: "edge_added", from, to: node.id, created_by: null });
  }
  const loops = workflow.edges.filter((edge) => edge.loop === true);
  for (const { loop: _, max: __, ...edge } of workflow.edges.filter((edge) => edge.loop !== true))
    addEdge({ type: "edge_added", ...edge, created_by: null });
  for (const node of workflow.nodes) {
    for (const { from } of impliedPredecessors(node.inputs)) {
      // A binding across a loop edge reads the previous iteration: it implies no edge.
      if (!loops.some((loop) => loop.from === from && loop.to === node.id))
        addEdge({ type: "edge_added", from, to: node.id, created_by: null });
    }
  }
  // Last: a loop edge runs back along the ordinary edges.
  for (const { loop: _, max, ...edge } of loops)
    events.push({
      type: "edge_added",
      ...edge,
      created_by: null,
      loop: true,
      ...(max === undefined ? {} : { max }),
    });
  const origin = (path: string): PromiseOrigin => ({ kind: "file", file: fileLabel, path });
  if (Object.keys(workflow.shapes).length > 0)
    events.push({ type: "shapes", shapes: workflow.shapes });
  workflow.promises.forEach((promise, i) => {
    events.push({ type: "promise_made", promise, origin: origin(`promises[${i}]`), made_by: null });
  });
  workflow.nodes.forEach((node, i) => {
    node.promises.forEach((promise, j) => {
      const scope =
        promise.scope === undefined || promise.scope === "$self" ? node.id : promise.scope;
      events.push({
        type: "promise_made",
        promise: { ...promise, scope },
        origin: origin(`nodes[${i}].promises[${j}]`),
        made_by: null,
      });
    });
  });
  return events;
};

/** The state a workflow file describes before anything runs: what the pre-run envelope is drawn from. */
export const stateBeforeRun = (loaded: LoadedWorkflow, fileLabel: string): RunState =>
  RunState.replay(registrationEvents(loaded, fileLabel));

/** Run ids: 1–128 letters, digits and `._:-`, not starting with `.` (so never `.` or `..`). */
export const RUN_ID_PATTERN = /^(?!\.)[A-Za-z0-9._:-]{1,128}$/;

/** A readable, sortable, unique-enough run id: `20261121-235959-3f9a`. */
export const newRunId = (): string => {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${stamp}-${Math.random().toString(16).slice(2, 6)}`;
};

/** What a new run executes with: its limits and how many of its tasks may run at once. */
export interface RunExecution {
  readonly limits: EngineLimits;
  readonly parallel: number;
  /** The run's parameters, checked against the workflow's declarations. */
  readonly runParams?: Readonly<Record<string, unknown>>;
}

/**
 * The rows of a new run that no process owns yet, inside the caller's
 * transaction: the run row with the limits and parallelism it executes with,
 * and its registration events. A daemon registers runs so, and each run's own
 * connection claims it.
 */
export const recordNewRun = (
  store: Store,
  loaded: LoadedWorkflow,
  runId: string,
  fileLabel: string,
  execution: RunExecution,
  at: string,
): void => {
  store.runs.insertRun({ id: runId, workflow: loaded.file, name: loaded.workflow.name, at });
  keepLimits(store, runId, execution.limits);
  store.runs.setRunParallel(runId, execution.parallel);
  store.history.append(runId, at, registrationEvents(loaded, fileLabel, execution.runParams));
};

/** Register a new run, owned by this process, in one transaction (see `recordNewRun`). */
export const registerRun = (
  store: Store,
  loaded: LoadedWorkflow,
  runId: string,
  fileLabel: string,
  execution: RunExecution,
): void => {
  const at = now();
  store.transaction(() => {
    recordNewRun(store, loaded, runId, fileLabel, execution, at);
    store.claim(runId, thisProcess(), at);
  });
};
