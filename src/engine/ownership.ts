import { readFileSync } from "node:fs";
import type { RunRow } from "../store/rows.js";
import { now, type Store } from "../store/store.js";

/** A heartbeat older than this means the owner is gone, whatever now holds its pid. */
export const OWNER_STALE_MS = 15_000;

export type Claim = { readonly ok: true } | { readonly ok: false; readonly pid: number };

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

/** Is another live orch process executing this run? */
export const liveOwner = (run: RunRow, self = process.pid): number | null => {
  if (run.owner_pid === null || run.owner_pid === self) return null;
  const beat = run.heartbeat_at === null ? 0 : Date.parse(run.heartbeat_at);
  return isAlive(run.owner_pid) && Date.now() - beat < OWNER_STALE_MS ? run.owner_pid : null;
};

/**
 * Take the run for this process, unless a live process has it, then run `then`
 * in the same transaction — so two processes can never both pass the check.
 */
export const claimRun = (store: Store, runId: string, then: () => void = () => {}): Claim =>
  store.transaction(() => {
    const run = store.runs.getRun(runId);
    if (!run) throw new Error(`no run ${runId}`);
    const owner = liveOwner(run);
    if (owner !== null) return { ok: false, pid: owner };
    store.runs.setRunOwner(runId, process.pid, now());
    then();
    return { ok: true };
  });

/**
 * Kill what is left of a task whose orchestrator died: its process group, if
 * that pid still belongs to this run's task (checked through its environment,
 * so a reused pid is never touched).
 */
export const killLeftoverTask = (runId: string, node: string, pid: number): void => {
  let environ: string;
  try {
    environ = readFileSync(`/proc/${pid}/environ`, "utf8");
  } catch {
    return;
  }
  const vars = new Set(environ.split("\0"));
  if (!vars.has(`ORCH_RUN_ID=${runId}`) || !vars.has(`ORCH_NODE_ID=${node}`)) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
};
