// Statistics, formatting and the results table.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, cpus, totalmem } from "node:os";
import { performance } from "node:perf_hooks";

export const median = (values) => {
  const xs = values
    .filter((v) => typeof v === "number" && Number.isFinite(v))
    .sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = xs.length >> 1;
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
};

export const max = (values) => {
  const xs = values.filter((v) => typeof v === "number" && Number.isFinite(v));
  return xs.length ? Math.max(...xs) : null;
};

export const fmtMs = (ms) => {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${ms.toFixed(0)} ms`;
  if (ms < 100_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${(ms / 1000).toFixed(0)} s`;
};

export const fmtKb = (kb) =>
  kb === null || kb === undefined ? "n/a" : `${(kb / 1024).toFixed(0)} MB`;

export const fmtRatio = (r) =>
  r === null || r === undefined || !Number.isFinite(r) ? "—" : r.toFixed(2);

export const fmtInt = (n) => Math.round(n).toLocaleString("en-US");

const COLUMNS = [
  ["workload", "workload"],
  ["size", "size"],
  ["reps", "reps"],
  ["baseline", "baseline median"],
  ["orch", "orch median"],
  ["ratio", "ratio"],
  ["cpuRatio", "cpu ratio"],
  ["peak", "peak memory"],
  ["target", "target"],
  ["verdict", "verdict"],
];

/** Aligned text table: numbers right-aligned, text left-aligned. */
export const formatTable = (rows) => {
  const cells = rows.map((row) => COLUMNS.map(([key]) => String(row[key] ?? "")));
  const heads = COLUMNS.map(([, title]) => title);
  const widths = heads.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const right = new Set(["size", "reps", "baseline", "orch", "ratio", "cpuRatio", "peak"]);
  const line = (values) =>
    values
      .map((v, i) => (right.has(COLUMNS[i][0]) ? v.padStart(widths[i]) : v.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  const out = [line(heads), widths.map((w) => "-".repeat(w)).join("  ")];
  for (const c of cells) out.push(line(c));
  const notes = rows.filter((r) => r.note).map((r) => `- ${r.workload} (${r.size}): ${r.note}`);
  if (notes.length) out.push("", ...notes);
  return out.join("\n");
};

const tryRun = (cmd, args) => {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch {
    return null;
  }
};

/** What the figures came from. */
/**
 * Wall time of `node -e 0`, median of 5: the floor under every orch command.
 * `NODE_EXTRA_CA_CERTS` alone can add ~50 ms to it (Node parses the file at start-up).
 */
const nodeStartMs = () => {
  const times = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    execFileSync(process.execPath, ["-e", "0"]);
    times.push(performance.now() - t0);
  }
  return median(times);
};

export const machineInfo = (python, repoRoot) => {
  let cpuModel = cpus()[0]?.model ?? null;
  try {
    cpuModel =
      /^model name\s*:\s*(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? cpuModel;
  } catch {
    // Not Linux.
  }
  const commit = tryRun("git", ["-C", repoRoot, "rev-parse", "--short", "HEAD"]);
  const dirty = tryRun("git", ["-C", repoRoot, "status", "--porcelain", "--", "src"]);
  return {
    nproc: Number(tryRun("nproc", [])) || availableParallelism(),
    cpu: cpuModel,
    memory_total_mb: Math.round(totalmem() / 2 ** 20),
    free_h: tryRun("free", ["-h"]),
    node: process.version,
    node_start_ms: Math.round(nodeStartMs()),
    node_extra_ca_certs: process.env.NODE_EXTRA_CA_CERTS !== undefined,
    python: tryRun(python, ["--version"]),
    python_executable: python,
    kernel: tryRun("uname", ["-sr"]),
    orch_commit: commit === null ? null : `${commit}${dirty ? " (src/ modified)" : ""}`,
  };
};
