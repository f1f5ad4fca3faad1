import { readFileSync } from "node:fs";
import type { RunRow } from "../store/rows.js";
import type { RunOwner } from "../store/runs.js";
import { now, type Store } from "../store/store.js";
import { isSameLiveProcess, processStat } from "./process-stat.js";

/** A heartbeat older than this means the owner is gone, whatever now holds its pid. */
export const OWNER_STALE_MS = 15_000;

export type Claim = { readonly ok: true } | { readonly ok: false; readonly pid: number };

/** This process, as a run records its owner. */
export const thisProcess = (): RunOwner => ({
  pid: process.pid,
  started: processStat(process.pid)?.started ?? null,
});

/**
 * Is another live orch process executing this run? Its owner is gone once the
 * process is dead or a zombie, or its pid names a process started at another
 * time, and that is known at once; an owner that is alive but silent (stopped
 * with SIGSTOP, say) is gone once its heartbeat is stale.
 */
export const liveOwner = (run: RunRow, self: number | null = process.pid): number | null => {
  if (run.owner_pid === null || run.owner_pid === self) return null;
  const beat = run.heartbeat_at === null ? 0 : Date.parse(run.heartbeat_at);
  return isSameLiveProcess(run.owner_pid, run.owner_started) && Date.now() - beat < OWNER_STALE_MS
    ? run.owner_pid
    : null;
};

/**
 * The live orch process executing this run, this one included: the daemon
 * executes runs in its own process, and its commands to them go through the
 * inbox all the same.
 */
export const liveExecutor = (run: RunRow): number | null => liveOwner(run, null);

/**
 * Take the run for this process under a new epoch, unless a live process has
 * it, then run `then` in the same transaction — so two processes can never both
 * pass the check, and the one that loses the run can write nothing more.
 */
export const claimRun = (store: Store, runId: string, then: () => void = () => {}): Claim =>
  store.transaction(() => {
    const run = store.runs.getRun(runId);
    if (!run) throw new Error(`no run ${runId}`);
    const owner = liveOwner(run);
    if (owner !== null) return { ok: false, pid: owner };
    store.claim(runId, thisProcess(), now());
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

/**
 * Record the run as interrupted and without an owner, now, as a process that
 * must exit at once does; what was running is made lost by `orch resume`.
 */
export const abandonRun = (store: Store, runId: string, reason: string): void => {
  store.transaction(() => {
    store.history.append(runId, now(), [{ type: "run_status", status: "interrupted", reason }]);
    store.runs.releaseRun(runId);
  });
};
