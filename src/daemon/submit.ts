import { relative } from "node:path";
import { z } from "zod";
import { newRunId, registerRun } from "../engine/register.js";
import { NODE_ID_PATTERN } from "../graph/ids.js";
import { formatIssues, loadWorkflow } from "../workflow/load.js";
import type { RunPool } from "./run-pool.js";

/** The body of `POST /api/runs`. */
export const SubmitRequestSchema = z.strictObject({
  /** A workflow file the daemon can read. */
  workflow: z.string().min(1),
  params: z.record(z.string(), z.unknown()).optional(),
  run_id: z.string().regex(NODE_ID_PATTERN, "expected 1–128 letters, digits and ._:-").optional(),
  parallel: z.number().int().positive().optional(),
});
export type SubmitRequest = z.infer<typeof SubmitRequestSchema>;

export type SubmitResult =
  | { readonly ok: true; readonly runId: string; readonly name: string }
  | { readonly ok: false; readonly status: 400 | 409; readonly message: string };

/** Validate a workflow, register a run of it owned by the daemon, and start executing it. */
export const submitRun = (pool: RunPool, request: SubmitRequest): SubmitResult => {
  if (request.params !== undefined && Object.keys(request.params).length > 0)
    return { ok: false, status: 400, message: "params: this orch takes no run parameters yet" };
  const loaded = loadWorkflow(request.workflow);
  if (!loaded.ok)
    return { ok: false, status: 400, message: formatIssues(loaded.file, loaded.issues) };
  const { store, limits } = pool.options;
  const runId = request.run_id ?? newRunId();
  if (store.runs.getRun(runId))
    return { ok: false, status: 409, message: `a run with id ${runId} already exists` };
  const label = relative(process.cwd(), loaded.value.file) || loaded.value.file;
  registerRun(store, loaded.value, runId, label, limits);
  pool.execute(runId, request.parallel ?? null);
  return { ok: true, runId, name: loaded.value.workflow.name };
};
