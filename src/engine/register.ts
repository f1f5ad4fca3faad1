import { impliedPredecessors } from "../data/bindings.js";
import { edgeKey } from "../data/run-data.js";
import { nodeDataOf } from "../data/schema.js";
import type { PromiseOrigin } from "../promises/types.js";
import type { RunEvent } from "../state/events.js";
import { RunState } from "../state/run-state.js";
import type { Store } from "../store/store.js";
import { now } from "../store/store.js";
import type { LoadedWorkflow } from "../workflow/load.js";
import { policyOf } from "../workflow/policy.js";
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
  if (Object.keys(workflow.defaults).length > 0)
    events.push({ type: "defaults", policy: workflow.defaults });
  if (workflow.preload.length > 0) events.push({ type: "preload", modules: workflow.preload });
  for (const node of workflow.nodes) {
    const policy = policyOf(node);
    events.push({
      type: "node_added",
      id: node.id,
      run: node.run,
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
  for (const edge of workflow.edges) addEdge({ type: "edge_added", ...edge, created_by: null });
  for (const node of workflow.nodes) {
    for (const { from } of impliedPredecessors(node.inputs))
      addEdge({ type: "edge_added", from, to: node.id, created_by: null });
  }
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

/**
 * Register a new run, owned by this process: the run row with the limits and
 * parallelism it executes with, and its registration events, in one transaction.
 */
export const registerRun = (
  store: Store,
  loaded: LoadedWorkflow,
  runId: string,
  fileLabel: string,
  execution: { readonly limits: EngineLimits; readonly parallel: number },
  runParams: Readonly<Record<string, unknown>> = {},
): void => {
  const at = now();
  store.transaction(() => {
    store.runs.insertRun({ id: runId, workflow: loaded.file, name: loaded.workflow.name, at });
    keepLimits(store, runId, execution.limits);
    store.runs.setRunParallel(runId, execution.parallel);
    store.history.append(runId, at, registrationEvents(loaded, fileLabel, runParams));
    store.claim(runId, thisProcess(), at);
  });
};
