import { relative } from "node:path";
import { z } from "zod";
import { resolveRunParams } from "../data/run-params.js";
import { newRunId, RUN_ID_PATTERN, recordNewRun } from "../engine/register.js";
import { now } from "../store/store.js";
import { formatIssues, loadWorkflow } from "../workflow/load.js";
import type { RunPool } from "./run-pool.js";

/** The body of `POST /api/runs`. */
export const SubmitRequestSchema = z.strictObject({
  /** A workflow file the daemon can read. */
  workflow: z.string().min(1),
  params: z.record(z.string(), z.unknown()).optional(),
  run_id: z
    .string()
    .regex(RUN_ID_PATTERN, 'expected 1–128 letters, digits and ._:-, not starting with "."')
    .optional(),
  /** Most tasks of the run running at once (default: the workflow's "parallel", else 1). */
  parallel: z.number().int().positive().optional(),
});
export type SubmitRequest = z.infer<typeof SubmitRequestSchema>;

export type SubmitResult =
  | { readonly ok: true; readonly runId: string; readonly name: string }
  | { readonly ok: false; readonly status: 400 | 409; readonly message: string };

/** Validate a workflow, register a run of it, and have the daemon execute it. */
export const submitRun = (pool: RunPool, request: SubmitRequest): SubmitResult => {
  const loaded = loadWorkflow(request.workflow);
  if (!loaded.ok)
    return { ok: false, status: 400, message: formatIssues(loaded.file, loaded.issues) };
  // The same checks as `orch start --param NAME=VALUE`, each value given as JSON.
  const params = resolveRunParams(
    loaded.value.workflow.params,
    Object.entries(request.params ?? {}).map(([name, value]) => `${name}=${JSON.stringify(value)}`),
  );
  if (!params.ok) return { ok: false, status: 400, message: params.problems.join("\n") };
  const { store, limits } = pool.options;
  const runId = request.run_id ?? newRunId();
  const label = relative(process.cwd(), loaded.value.file) || loaded.value.file;
  const parallel = request.parallel ?? loaded.value.workflow.parallel ?? 1;
  const registered = store.transaction(() => {
    if (store.runs.getRun(runId)) return false;
    recordNewRun(
      store,
      loaded.value,
      runId,
      label,
      { limits, parallel, runParams: params.params },
      now(),
    );
    return true;
  });
  if (!registered)
    return { ok: false, status: 409, message: `a run with id ${runId} already exists` };
  pool.execute(runId);
  return { ok: true, runId, name: loaded.value.workflow.name };
};
