#!/usr/bin/env node
// orch benchmarks: orch's cost per task, per mutation and per rendered node,
// against baselines measured in the same run. See bench/README.md.
//
//   node bench/run.mjs [--smoke] [--only NAME,...] [--reps N] [--cli PATH] [--out FILE] [--keep]
//
// NAME is one of: chain, wide, parallel, mutations, dynamic, live (status + graph),
// unpromised (`orch graph` of a chain without promises, before its run), executors
// (tasks in podman containers and Slurm jobs, against the same commands by hand);
// --reps N runs every workload N times instead of its default.
// Needs the build (`make build`); `make bench` / `make bench-smoke` run it.
// Progress goes to stderr; the table to stdout; everything to --out as JSON
// (default bench/results/latest.json, or bench/results/latest-smoke.json with --smoke).

import { execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { detectMemoryMode, measure } from "./lib/proc.mjs";
import {
  fmtInt,
  fmtKb,
  fmtMs,
  fmtRatio,
  formatTable,
  machineInfo,
  max,
  median,
} from "./lib/report.mjs";
import { randomMapPromise } from "./lib/workflows.mjs";

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(BENCH_DIR, "..");

const { values: opts } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    only: { type: "string" },
    cli: { type: "string" },
    out: { type: "string" },
    keep: { type: "boolean", default: false },
    reps: { type: "string" },
  },
});

// Sizes and repetitions. The full set is sized for ~35 minutes on a 2-core
// machine where a Python task costs ~50–70 ms: the trivial-task rows, whose
// target (5 %) is within the machine's drift over a minute-long run, run five
// times each at 1,000 tasks (the chain of 200, ten seconds a run, nine, beside
// the bare Node loop too); the small dynamic chain, whose median divides the
// big one's, three times; the big dynamic chain (~9 minutes) once.
const CONFIG = opts.smoke
  ? {
      chain: [{ n: 10, reps: 2, nodeLoop: true }],
      wide: [{ n: 10, reps: 2 }],
      parallel: [{ n: 20, reps: 2 }],
      mutations: { n: 10_000, reps: 2, insertReps: 3 },
      dynamic: [
        { n: 50, reps: 1 },
        { n: 200, reps: 1 },
      ],
      live: [{ n: 10_000, samples: 3 }],
      unpromised: { n: 10_000 },
      executors: { n: 3, reps: 1 },
      graphReps: 1,
    }
  : {
      chain: [
        { n: 200, reps: 9, nodeLoop: true },
        { n: 1_000, reps: 5 },
      ],
      wide: [{ n: 1_000, reps: 5 }],
      parallel: [{ n: 1_000, reps: 3 }],
      mutations: { n: 100_000, reps: 3, insertReps: 3 },
      dynamic: [
        { n: 1_000, reps: 3 },
        { n: 10_000, reps: 1 },
      ],
      live: [
        { n: 1_000, samples: 10 },
        { n: 10_000, samples: 15 },
      ],
      unpromised: { n: 10_000 },
      executors: { n: 20, reps: 3 },
      graphReps: 3,
    };
if (opts.reps !== undefined) {
  const reps = Number(opts.reps);
  if (!Number.isInteger(reps) || reps < 1) {
    console.error(`bench: --reps ${opts.reps}: expected a positive integer`);
    process.exit(2);
  }
  for (const c of [
    ...CONFIG.chain,
    ...CONFIG.wide,
    ...CONFIG.parallel,
    CONFIG.mutations,
    ...CONFIG.dynamic,
    CONFIG.executors,
  ])
    c.reps = reps;
  CONFIG.graphReps = reps;
}

const ALL = [
  "chain",
  "wide",
  "parallel",
  "mutations",
  "dynamic",
  "live",
  "unpromised",
  "executors",
];
const selected = new Set(opts.only ? opts.only.split(",").map((s) => s.trim()) : ALL);
for (const name of selected) {
  if (!ALL.includes(name)) {
    console.error(`bench: unknown workload ${name} (expected one of ${ALL.join(", ")})`);
    process.exit(2);
  }
}

const CLI = resolve(opts.cli ?? process.env.ORCH_BENCH_CLI ?? join(REPO, "dist/cli/orch.js"));
if (!existsSync(CLI)) {
  console.error(`bench: ${CLI} not found: build first (make build)`);
  process.exit(2);
}
const SDK = join(REPO, "tasks-py");
const BASELINE_LOOP = join(BENCH_DIR, "baseline-loop.sh");
const COMMAND_LOOP = join(BENCH_DIR, "baseline-command-loop.sh");
const NODE_LOOP = join(BENCH_DIR, "baseline-node-loop.mjs");
const MEMORY = detectMemoryMode();
const PYTHON = execFileSync(
  process.env.ORCH_PYTHON ?? "python3",
  ["-c", "import sys;print(sys.executable)"],
  {
    encoding: "utf8",
  },
).trim();
// The same PYTHONPATH orch gives its tasks (the SDK first), so the import cost is identical.
const TASK_ENV = {
  ...process.env,
  PYTHONPATH: process.env.PYTHONPATH ? `${SDK}:${process.env.PYTHONPATH}` : SDK,
};
const ROOT = mkdtempSync(join(tmpdir(), "orch-bench-"));
const log = (text) =>
  process.stderr.write(`[bench ${((performance.now() - T0) / 1000).toFixed(0)}s] ${text}\n`);
const T0 = performance.now();
const LOAD_AT_START = loadavg();

const rows = [];
const raw = {};
const errors = [];

// ---------------------------------------------------------------- helpers

const startMessage = (id, params = {}) =>
  `${JSON.stringify({ type: "start", run_id: "b", node: { id, params }, attempt: 1 })}\n`;

/** A fresh directory holding the bench tasks, a workflow and a start message. */
const workdir = (name, workflow, start) => {
  const dir = join(ROOT, name);
  mkdirSync(dir, { recursive: true });
  cpSync(join(BENCH_DIR, "tasks"), join(dir, "tasks"), { recursive: true });
  writeFileSync(join(dir, "workflow.json"), `${JSON.stringify(workflow, null, 1)}\n`);
  writeFileSync(join(dir, "start.json"), start ?? startMessage("n1"));
  return dir;
};

const STATIC = { scope: "*", nodes: false, edges: false };

// Where a timed `orch start` prints its progress, as `orch start … > run.log`
// would: a pipe into this process would wake it for every line, and on a
// 2-core machine that CPU is taken from the tasks on orch's side only.
const PROGRESS_LOG = (dir) => join(dir, "progress.log");

const orch = (args, options = {}) =>
  measure(process.execPath, [CLI, ...args], { memoryMode: MEMORY, stdout: "pipe", ...options });

const startArgs = (dir, db, runId) => [
  "start",
  join(dir, "workflow.json"),
  "--db",
  db,
  "--python",
  PYTHON,
  ...(runId ? ["--run-id", runId] : []),
];

const describeFailure = (what, res) =>
  `${what}: exit ${res.code ?? res.signal}${res.timedOut ? " (timed out)" : ""}: ${res.stderr.trim().split("\n").slice(-3).join(" | ")}`;

const fail = (message) => {
  errors.push(message);
  log(`ERROR ${message}`);
};

/** A progress line saying node `id` succeeded (the progress printer's format). */
const succeededLine = (id) => new RegExp(`\\bsucceeded\\s+${id.replace(/[.]/g, "\\.")}\\s`);

const fmtLoad = (load) => load.map((l) => l.toFixed(2)).join(" ");

/** "2.6 ms per task more" or, when orch was the faster side, "1.9 ms per task less". */
const perTask = (differenceMs, n) =>
  `${Math.abs(differenceMs / n).toFixed(1)} ms per task ${differenceMs < 0 ? "less" : "more"}`;

const verdict = (ok) => (ok === null ? "n/a" : ok ? "met" : "MISSED");

/** "9.56–11.45 s": the fastest and slowest of a side's runs, to show the noise. */
const spread = (values) => `${fmtMs(Math.min(...values))}–${fmtMs(max(values))}`;

// ---------------------------------------------------------------- static: chain and wide

/**
 * `n` trivial tasks, as a chain or all independent, against the bash loop; with
 * `nodeLoop`, also the bare Node loop, a reference for what spawning from Node
 * costs. The sides take turns in a rotating order, one run each per repetition.
 */
const taskLoop = async (kind, { n, reps, nodeLoop = false }) => {
  const nodes = Array.from({ length: n }, (_, i) => ({
    id: `t-${i}`,
    run: "tasks/hello.py",
    ...(kind === "chain" && i > 0 ? { depends_on: [`t-${i - 1}`] } : {}),
  }));
  const dir = workdir(`${kind}-${n}`, { name: `bench-${kind}-${n}`, nodes, promises: [STATIC] });
  const loopArgs = [PYTHON, String(n), "tasks/hello.py", "start.json", join(dir, "baseline.log")];
  const loop = (interpreter, script) => () =>
    measure(interpreter, [script, ...loopArgs], { cwd: dir, env: TASK_ENV, memoryMode: MEMORY });
  const sides = {
    baseline: loop("bash", BASELINE_LOOP),
    ...(nodeLoop ? { "node loop": loop(process.execPath, NODE_LOOP) } : {}),
    orch: async (r) => {
      const db = join(dir, `rep-${r}`, "orch.db");
      const res = await orch(startArgs(dir, db), { cwd: dir, stdoutFile: PROGRESS_LOG(dir) });
      rmSync(dirname(db), { recursive: true, force: true });
      return res;
    },
  };
  const names = Object.keys(sides);
  const wall = Object.fromEntries(names.map((name) => [name, []]));
  const cpu = Object.fromEntries(names.map((name) => [name, []]));
  const peaks = [];
  for (let r = 0; r < reps; r++) {
    for (let k = 0; k < names.length; k++) {
      const side = names[(r + k) % names.length];
      const res = await sides[side](r);
      if (res.code !== 0) return fail(describeFailure(`${kind} ${n}: ${side}`, res));
      wall[side].push(res.ms);
      cpu[side].push(res.cpuMs);
      if (side === "orch") peaks.push(res.peakKb);
      log(`${kind} ${n} rep ${r + 1}/${reps} ${side}: ${fmtMs(res.ms)}`);
    }
  }
  raw[`${kind}-${n}`] = {
    baseline_ms: wall.baseline,
    orch_ms: wall.orch,
    baseline_cpu_ms: cpu.baseline,
    orch_cpu_ms: cpu.orch,
    orch_peak_kb: peaks,
    ...(nodeLoop ? { node_loop_ms: wall["node loop"], node_loop_cpu_ms: cpu["node loop"] } : {}),
  };
  const cpuB = median(cpu.baseline);
  const cpuO = median(cpu.orch);
  const b = median(wall.baseline);
  const o = median(wall.orch);
  const ratio = o / b;
  const judged = (kind === "chain" && (n === 200 || n === 1000)) || (kind === "wide" && n === 1000);
  const workload =
    kind === "chain" ? "static chain, trivial tasks" : "wide static DAG, one at a time";
  rows.push({
    workload,
    size: fmtInt(n),
    reps,
    baseline: fmtMs(b),
    orch: fmtMs(o),
    ratio: fmtRatio(ratio),
    cpuRatio: fmtRatio(cpuO / cpuB),
    peak: fmtKb(max(peaks)),
    target: "≤ 1.05",
    verdict: judged ? verdict(ratio <= 1.05) : "(size not judged)",
    note:
      `wall: orch costs ${perTask(o - b, n)} than the bash loop (${fmtMs(b / n)} per task)` +
      (cpuB === null ? "" : `; CPU: ${perTask(cpuO - cpuB, n)} (${fmtMs(cpuB / n)} per task)`) +
      `; runs: bash ${spread(wall.baseline)}, orch ${spread(wall.orch)}`,
  });
  if (!nodeLoop) return;
  const nl = median(wall["node loop"]);
  rows.push({
    workload: `${workload}: bare Node loop`,
    size: fmtInt(n),
    reps,
    baseline: fmtMs(b),
    orch: fmtMs(nl),
    ratio: fmtRatio(nl / b),
    cpuRatio: fmtRatio(median(cpu["node loop"]) / cpuB),
    peak: "",
    target: "(reference)",
    verdict: "n/a",
    note:
      `the "orch" column is the bare Node loop (bench/baseline-node-loop.mjs), spawning each task ` +
      `from Node as orch did before its spawner: Node's start-up and forks cost ${perTask(nl - b, n)} ` +
      `than bash; orch costs ${perTask(o - nl, n)} than that loop (orch / loop ${fmtRatio(o / nl)}); ` +
      `runs: ${spread(wall["node loop"])}`,
  });
};

// ---------------------------------------------------------------- parallel: wide at -j2

/**
 * `n` independent trivial tasks, two at a time: orch `--parallel 2` against GNU
 * make `-j2` running the same scripts with the same start message, and against
 * orch `--parallel 1` (the speed-up two cores give).
 */
const parallelWide = async ({ n, reps }) => {
  const nodes = Array.from({ length: n }, (_, i) => ({ id: `t-${i}`, run: "tasks/hello.py" }));
  const dir = workdir(`parallel-${n}`, { name: `bench-parallel-${n}`, nodes, promises: [STATIC] });
  const targets = nodes.map((node) => node.id);
  writeFileSync(
    join(dir, "Makefile"),
    `.PHONY: all ${targets.join(" ")}\nall: ${targets.join(" ")}\n${targets
      .map((t) => `${t}:\n\t@"${PYTHON}" tasks/hello.py <start.json >/dev/null 2>>baseline.log\n`)
      .join("")}`,
  );
  const orchAt = (parallel) => async (r) => {
    const db = join(dir, `rep-${parallel}-${r}`, "orch.db");
    const res = await orch([...startArgs(dir, db), "--parallel", String(parallel)], {
      cwd: dir,
      stdoutFile: PROGRESS_LOG(dir),
    });
    rmSync(dirname(db), { recursive: true, force: true });
    return res;
  };
  const sides = {
    "make -j2": () =>
      measure("make", ["-s", "-j2", "-f", join(dir, "Makefile")], {
        cwd: dir,
        env: TASK_ENV,
        memoryMode: MEMORY,
      }),
    "orch -p2": orchAt(2),
    "orch -p1": orchAt(1),
  };
  const names = Object.keys(sides);
  const wall = Object.fromEntries(names.map((name) => [name, []]));
  for (let r = 0; r < reps; r++) {
    for (let k = 0; k < names.length; k++) {
      const side = names[(r + k) % names.length];
      const res = await sides[side](r);
      if (res.code !== 0) return fail(describeFailure(`parallel ${n}: ${side}`, res));
      wall[side].push(res.ms);
      log(`parallel ${n} rep ${r + 1}/${reps} ${side}: ${fmtMs(res.ms)}`);
    }
  }
  raw[`parallel-${n}`] = {
    make_ms: wall["make -j2"],
    orch_p2_ms: wall["orch -p2"],
    orch_p1_ms: wall["orch -p1"],
  };
  const make = median(wall["make -j2"]);
  const p2 = median(wall["orch -p2"]);
  const p1 = median(wall["orch -p1"]);
  const judged = n >= 1_000;
  rows.push({
    workload: "wide static DAG, --parallel 2 vs make -j2",
    size: fmtInt(n),
    reps,
    baseline: fmtMs(make),
    orch: fmtMs(p2),
    ratio: fmtRatio(p2 / make),
    target: "≤ 1.05",
    verdict: judged ? verdict(p2 / make <= 1.05) : "(size not judged)",
    note: `runs: make ${spread(wall["make -j2"])}, orch ${spread(wall["orch -p2"])}`,
  });
  rows.push({
    workload: "wide static DAG, speed-up of --parallel 2 over 1",
    size: fmtInt(n),
    reps,
    baseline: fmtMs(p1),
    orch: fmtMs(p2),
    ratio: fmtRatio(p1 / p2),
    target: "≥ 1.8",
    verdict: judged ? verdict(p1 / p2 >= 1.8) : "(size not judged)",
    note: `"baseline" is orch --parallel 1, "ratio" the speed-up; runs: ${spread(wall["orch -p1"])} and ${spread(wall["orch -p2"])}`,
  });
};

// ---------------------------------------------------------------- executors

const TEST_IMAGE = process.env.ORCH_TEST_IMAGE ?? "localhost/orch-python:test";

/** Whether `argv` runs and exits 0 (an engine's presence). */
const runs = (argv) => {
  try {
    execFileSync(argv[0], argv.slice(1), { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};

/**
 * A chain of `n` trivial tasks in podman containers and as Slurm jobs, against
 * the same `podman run` / `srun` of the same script by hand in a bash loop: what
 * orch adds to an executor's own cost per task.
 */
const executorLoops = async ({ n, reps }) => {
  const kinds = [
    {
      name: "podman",
      available: runs(["podman", "image", "exists", TEST_IMAGE]),
      setup: "scripts/setup-executors.sh podman image",
      executor: { container: { image: TEST_IMAGE, engine: "podman" } },
      byHand: (dir) => [
        "podman",
        "run",
        "-i",
        "--rm",
        "--init",
        "--network",
        "none",
        "--workdir",
        "/work",
        "--mount",
        `type=bind,source=${dir},target=/work`,
        "--mount",
        `type=bind,source=${SDK},target=/opt/orch/sdk,readonly`,
        "--env",
        "PYTHONPATH=/opt/orch/sdk",
        TEST_IMAGE,
        "python3",
        "-u",
        "tasks/hello.py",
      ],
    },
    {
      name: "slurm",
      available: runs(["scontrol", "ping"]),
      setup: "scripts/setup-executors.sh slurm",
      executor: { slurm: {} },
      byHand: (dir) => ["srun", "-N1", "-n1", "python3", "-u", join(dir, "tasks/hello.py")],
    },
  ];
  for (const kind of kinds) {
    if (!kind.available) {
      fail(`executors ${kind.name}: not available here (${kind.setup} sets it up)`);
      continue;
    }
    const nodes = Array.from({ length: n }, (_, i) => ({
      id: `t-${i}`,
      run: "tasks/hello.py",
      ...(i > 0 ? { depends_on: [`t-${i - 1}`] } : {}),
    }));
    const dir = workdir(`executor-${kind.name}-${n}`, {
      name: `bench-${kind.name}-${n}`,
      defaults: { executor: kind.executor },
      nodes,
    });
    const wall = { byHand: [], orch: [] };
    for (let r = 0; r < reps; r++) {
      const hand = await measure(
        "bash",
        [COMMAND_LOOP, String(n), "start.json", join(dir, "baseline.log"), ...kind.byHand(dir)],
        { cwd: dir, env: TASK_ENV, memoryMode: MEMORY },
      );
      if (hand.code !== 0) return fail(describeFailure(`executors ${kind.name}: by hand`, hand));
      const db = join(dir, `rep-${r}`, "orch.db");
      const res = await orch(startArgs(dir, db), { cwd: dir, stdoutFile: PROGRESS_LOG(dir) });
      if (res.code !== 0) return fail(describeFailure(`executors ${kind.name}: orch`, res));
      rmSync(dirname(db), { recursive: true, force: true });
      wall.byHand.push(hand.ms);
      wall.orch.push(res.ms);
      log(
        `executors ${kind.name} ${n} rep ${r + 1}/${reps}: by hand ${fmtMs(hand.ms)}, orch ${fmtMs(res.ms)}`,
      );
    }
    raw[`executor-${kind.name}-${n}`] = { by_hand_ms: wall.byHand, orch_ms: wall.orch };
    const b = median(wall.byHand);
    const o = median(wall.orch);
    rows.push({
      workload: `chain in ${kind.name === "podman" ? "podman containers" : "Slurm jobs"}`,
      size: fmtInt(n),
      reps,
      baseline: fmtMs(b),
      orch: fmtMs(o),
      ratio: fmtRatio(o / b),
      target: "(info)",
      verdict: "n/a",
      note:
        `baseline: \`${kind
          .byHand(dir)
          .slice(0, kind.name === "podman" ? 3 : 1)
          .join(" ")} …\` of the same script by hand, ` +
        `${fmtMs(b / n)} per task; orch costs ${perTask(o - b, n)}`,
    });
  }
};

// ---------------------------------------------------------------- mutations

/**
 * One task adds n nodes and n edges (A -> M-i) under a random-map shape promise.
 * orch's time is from spawn to the progress line saying A succeeded (its
 * mutations committed); the run is then interrupted so the n new tasks do not run.
 */
const mutations = async ({ n, reps, insertReps }) => {
  const params = { n, run: "tasks/hello.py" };
  const workflow = {
    name: `bench-mutations-${n}`,
    nodes: [{ id: "A", run: "tasks/fanout.py", params }],
    promises: [randomMapPromise()],
  };
  const dir = workdir(`mutations-${n}`, workflow, startMessage("A", params));
  const emission = [];
  const mine = [];
  const exits = [];
  const commitPeaks = [];
  const peaks = [];
  let lastDb = null;
  for (let r = 0; r < reps; r++) {
    for (const side of r % 2 === 0 ? ["emission", "orch"] : ["orch", "emission"]) {
      if (side === "emission") {
        const res = await measure(PYTHON, ["tasks/fanout.py"], {
          cwd: dir,
          env: TASK_ENV,
          memoryMode: MEMORY,
          stdinFile: join(dir, "start.json"),
          stderrFile: join(dir, "emission.log"),
        });
        if (res.code !== 0)
          return fail(`mutations ${n}: emission script exited ${res.code ?? res.signal}`);
        emission.push(res.ms);
      } else {
        if (lastDb) rmSync(dirname(lastDb), { recursive: true, force: true });
        lastDb = join(dir, `rep-${r}`, "orch.db");
        const committed = succeededLine("A");
        let atCommitKb = null;
        const res = await orch(startArgs(dir, lastDb), {
          cwd: dir,
          timeoutMs: 600_000,
          onLine: (line, _ms, handle) => {
            if (committed.test(line) && handle.mark("committed")) {
              atCommitKb = handle.hwmKb();
              handle.kill("SIGTERM");
            }
          },
        });
        if (res.marks.committed === undefined)
          return fail(describeFailure(`mutations ${n}: A never committed`, res));
        mine.push(res.marks.committed);
        exits.push(res.ms);
        peaks.push(res.peakKb);
        commitPeaks.push(atCommitKb);
      }
      log(
        `mutations ${n} rep ${r + 1}/${reps} ${side}: ${fmtMs(side === "orch" ? mine.at(-1) : emission.at(-1))}`,
      );
    }
  }
  const inserts = bareInsert(lastDb, insertReps, join(dir, "bare"));
  raw[`mutations-${n}`] = {
    emission_ms: emission,
    orch_commit_ms: mine,
    orch_exit_ms: exits,
    orch_peak_kb: peaks,
    orch_peak_at_commit_kb: commitPeaks,
    bare_insert_ms: inserts.ms,
    bare_insert_rows: inserts.rows,
  };
  const e = median(emission);
  const o = median(mine);
  const ins = median(inserts.ms);
  const perSecond = (2 * n) / ((o - e) / 1000);
  const size = `${fmtInt(n)} + ${fmtInt(n)}`;
  const judged = n === 100_000;
  rows.push({
    workload: "mutations vs emission (script > /dev/null)",
    size,
    reps,
    baseline: fmtMs(e),
    orch: fmtMs(o),
    ratio: fmtRatio(o / e),
    peak: fmtKb(max(peaks)),
    target: "(info)",
    verdict: "",
    note: `orch time is spawn → commit of A's ${fmtInt(2 * n)} mutations (then the run is interrupted)`,
  });
  rows.push({
    workload: "mutations vs bare SQLite insert",
    size,
    reps: `${reps}/${insertReps}`,
    baseline: fmtMs(ins),
    orch: fmtMs(o),
    ratio: fmtRatio(o / ins),
    peak: "",
    target: "(info)",
    verdict: "",
    note: `the bare insert writes the same ${fmtInt(inserts.rows)} rows (runs, events, nodes, edges …) in one better-sqlite3 transaction; orch − emission = ${fmtMs(o - e)}, ${fmtRatio((o - e) / ins)}× the insert`,
  });
  rows.push({
    workload: "mutations/s = 2n / (orch − emission)",
    size,
    reps,
    baseline: "",
    orch: `${fmtInt(perSecond)}/s`,
    ratio: "",
    peak: "",
    target: "≥ 100,000/s",
    verdict: judged ? verdict(perSecond >= 100_000) : "(size not judged)",
  });
  if (judged) {
    const peak = max(peaks);
    rows.push({
      workload: "peak memory, 100,000-node run",
      size: fmtInt(n),
      reps,
      baseline: "",
      orch: "",
      ratio: "",
      peak: fmtKb(peak),
      target: "≤ 300 MB",
      verdict: peak === null ? "n/a" : verdict(peak <= 300 * 1024),
      note: "peak RSS of the orch process over its life: run registered, A's mutations committed, then interrupted (the interrupt discards M-0's attempt)",
    });
    const atCommit = max(commitPeaks);
    rows.push({
      workload: "  … of which up to the commit",
      size: fmtInt(n),
      reps,
      peak: fmtKb(atCommit),
      target: "(info)",
      note: "VmHWM read from /proc when the commit line arrives, before the interrupt",
    });
  }
};

/** The floor: the rows orch committed, inserted into a fresh database of the same schema in one transaction. */
const bareInsert = (sourceDb, reps, dir) => {
  const src = new Database(sourceDb, { readonly: true });
  const ddl = src
    .prepare(
      `SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'
       ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 ELSE 2 END, rowid`,
    )
    .all();
  const tables = ddl
    .filter((d) => d.type === "table")
    .map((d) => {
      const stmt = src.prepare(`SELECT * FROM "${d.name}"`).raw();
      return { name: d.name, columns: stmt.columns().map((c) => c.name), rows: stmt.all() };
    });
  src.close();
  const total = tables.reduce((sum, t) => sum + t.rows.length, 0);
  const ms = [];
  mkdirSync(dir, { recursive: true });
  for (let r = 0; r < reps; r++) {
    const path = join(dir, `bare-${r}.db`);
    const db = new Database(path);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    for (const d of ddl) db.exec(d.sql);
    const inserts = tables.map((t) => ({
      stmt: db.prepare(
        `INSERT INTO "${t.name}" (${t.columns.map((c) => `"${c}"`).join(", ")}) VALUES (${t.columns.map(() => "?").join(", ")})`,
      ),
      rows: t.rows,
    }));
    const t0 = performance.now();
    db.transaction(() => {
      for (const { stmt, rows: tableRows } of inserts) for (const row of tableRows) stmt.run(row);
    })();
    ms.push(performance.now() - t0);
    db.close();
    rmSync(path, { force: true });
    rmSync(`${path}-wal`, { force: true });
    rmSync(`${path}-shm`, { force: true });
    log(`bare insert of ${fmtInt(total)} rows rep ${r + 1}/${reps}: ${fmtMs(ms.at(-1))}`);
  }
  return { ms, rows: total };
};

// ---------------------------------------------------------------- dynamic chain

/** d-0 adds d-1, which adds d-2, …: n tasks, each creating the next under one inherited promise. */
const dynamicChain = async (n, reps) => {
  const workflow = {
    name: `bench-dynamic-${n}`,
    nodes: [{ id: "d-0", run: "tasks/next.py", params: { n } }],
    promises: [
      {
        scope: "d-0",
        nodes: { ids: ["d-*"], run: ["tasks/next.py"], max: n },
        edges: [{ from: "$self", to: "$new" }],
      },
    ],
  };
  const dir = workdir(`dynamic-${n}`, workflow);
  const mine = [];
  const cpu = [];
  const peaks = [];
  let db = null;
  for (let r = 0; r < reps; r++) {
    if (db) rmSync(dirname(db), { recursive: true, force: true });
    db = join(dir, `rep-${r}`, "orch.db");
    const res = await orch(startArgs(dir, db, `dynamic-${n}`), {
      cwd: dir,
      stdoutFile: PROGRESS_LOG(dir),
    });
    if (res.code !== 0) return fail(describeFailure(`dynamic chain ${n}: orch start`, res));
    mine.push(res.ms);
    cpu.push(res.cpuMs);
    peaks.push(res.peakKb);
    log(`dynamic chain ${n} rep ${r + 1}/${reps}: ${fmtMs(res.ms)}`);
  }
  raw[`dynamic-${n}`] = { orch_ms: mine, orch_cpu_ms: cpu, orch_peak_kb: peaks };
  return {
    n,
    reps,
    ms: median(mine),
    cpuMs: median(cpu),
    peak: max(peaks),
    db,
    runId: `dynamic-${n}`,
    dir,
  };
};

const dynamicRows = (small, big) => {
  for (const c of [small, big]) {
    rows.push({
      workload: "dynamic chain (each adds the next)",
      size: fmtInt(c.n),
      reps: c.reps,
      baseline: "",
      orch: fmtMs(c.ms),
      ratio: "",
      peak: fmtKb(c.peak),
      target: "",
      verdict: "",
      note: `${fmtMs(c.ms / c.n)} per task${c.cpuMs === null ? "" : `, CPU ${fmtMs(c.cpuMs / c.n)} per task (orch and its tasks)`}`,
    });
  }
  const ratio = big.ms / small.ms;
  const scale = big.n / small.n;
  const judged = small.n === 1000 && big.n === 10_000;
  rows.push({
    workload: `dynamic chain: ${fmtInt(big.n)} / ${fmtInt(small.n)}`,
    size: `${scale}×`,
    reps: "",
    baseline: fmtMs(small.ms),
    orch: fmtMs(big.ms),
    ratio: fmtRatio(ratio),
    cpuRatio: big.cpuMs === null ? "" : fmtRatio(big.cpuMs / small.cpuMs),
    peak: "",
    target: `≤ ${(scale * 1.2).toFixed(0)}`,
    verdict: judged ? verdict(ratio <= 12) : `${verdict(ratio <= scale * 1.2)} (smoke)`,
  });
};

// ---------------------------------------------------------------- live run: status and graph

/** `orch graph RUN --out x.svg`, reps times; null (with a row) when it does not work. */
const graphTimes = async (label, db, runId, dir, reps, judge) => {
  const times = [];
  const peaks = [];
  const limitMs = judge.timeoutMs ?? 120_000;
  let bytes = 0;
  for (let r = 0; r < reps; r++) {
    const out = join(dir, `graph-${r}.svg`);
    rmSync(out, { force: true });
    const res = await orch(["graph", runId, "--db", db, "--out", out], {
      cwd: dir,
      timeoutMs: limitMs,
    });
    if (res.timedOut) {
      log(`graph ${label} ${judge.size}: still running after ${fmtMs(limitMs)}, killed`);
      times.push(Number.POSITIVE_INFINITY);
      break;
    }
    if (res.code !== 0 || !existsSync(out)) {
      const why = describeFailure(`orch graph (${label}, ${judge.size} nodes)`, res);
      fail(why);
      rows.push({
        workload: `orch graph → SVG, ${label}`,
        size: judge.size,
        reps: r,
        orch: "error",
        target: judge.target ?? "(info)",
        verdict: "error",
        note: why,
      });
      return null;
    }
    times.push(res.ms);
    peaks.push(res.peakKb);
    bytes = statSync(out).size;
    log(
      `graph ${label} ${judge.size} rep ${r + 1}/${reps}: ${fmtMs(res.ms)} (${fmtInt(bytes)} bytes)`,
    );
  }
  raw[`graph-${label}-${judge.size}`] = { orch_ms: times, orch_peak_kb: peaks, svg_bytes: bytes };
  const timedOut = times.some((t) => t === Number.POSITIVE_INFINITY);
  const m = timedOut ? null : median(times);
  rows.push({
    workload: `orch graph → SVG, ${label}`,
    size: judge.size,
    reps: times.length,
    baseline: "",
    orch: timedOut ? `> ${fmtMs(limitMs)}` : fmtMs(m),
    ratio: "",
    peak: fmtKb(max(peaks)),
    target: judge.target ?? "(info)",
    verdict: judge.target ? verdict(!timedOut && m <= judge.limitMs) : "",
    note: timedOut
      ? "killed at the time limit"
      : `${fmtInt(bytes)} bytes of SVG; collapsing on (no --expand); a whole process`,
  });
  return m;
};

/**
 * `orch graph` of an n-node chain without promises, before it runs: every node
 * may add anything, which the envelope says by rule (one note in the SVG).
 */
const unpromisedChain = async ({ n }) => {
  const dir = mkdtempSync(join(ROOT, "unpromised-"));
  const nodes = Array.from({ length: n }, (_, i) => ({ id: `n${i}`, run: "t.py" }));
  const edges = nodes.slice(1).map((node, i) => ({ from: `n${i}`, to: node.id }));
  const file = join(dir, "workflow.json");
  writeFileSync(file, JSON.stringify({ name: `bench-unpromised-${n}`, nodes, edges }));
  writeFileSync(join(dir, "t.py"), "");
  await graphTimes(
    "chain without promises, before its run",
    join(dir, "unused.db"),
    file,
    dir,
    CONFIG.graphReps,
    {
      size: fmtInt(n),
    },
  );
};

/** `orch status RUN --json`, once; checks the document. */
const statusOnce = async (db, runId, dir, expectNodes) => {
  let text = "";
  const res = await orch(["status", runId, "--json", "--db", db], {
    cwd: dir,
    memoryMode: "none",
    onLine: (line) => {
      text += `${line}\n`;
    },
  });
  if (res.code !== 0) return { error: describeFailure("orch status --json", res) };
  try {
    const doc = JSON.parse(text);
    if (expectNodes !== undefined && doc.nodes.length !== expectNodes) {
      return {
        error: `orch status --json listed ${doc.nodes.length} nodes, expected ${expectNodes}`,
      };
    }
    return { ms: res.ms, bytes: text.length, doc };
  } catch (error) {
    return { error: `orch status --json printed invalid JSON: ${error.message}` };
  }
};

/**
 * A random map A -> M-0..M-(n-1) -> B that then runs its n tasks. Once A has
 * committed, `orch status --json` is timed `samples` times while the run
 * executes; the run is then interrupted and `orch graph` draws it.
 */
const liveRun = async ({ n, samples }) => {
  const workflow = {
    name: `bench-live-${n}`,
    nodes: [
      { id: "A", run: "tasks/fanout.py", params: { n, collector: "B" } },
      { id: "B", run: "tasks/hello.py" },
    ],
    edges: [{ from: "A", to: "B" }],
    promises: [randomMapPromise("B"), { scope: "B", nodes: false, edges: false }],
  };
  const dir = workdir(`live-${n}`, workflow);
  const db = join(dir, "orch.db");
  const runId = `live-${n}`;
  let onCommit;
  const committed = new Promise((res) => {
    onCommit = res;
  });
  const aDone = succeededLine("A");
  let handle = null;
  let finished = 0;
  const running = orch(startArgs(dir, db, runId), {
    cwd: dir,
    timeoutMs: 3_600_000,
    onLine: (line, _ms, h) => {
      handle = h;
      if (/\bsucceeded\s/.test(line)) finished += 1;
      if (aDone.test(line)) onCommit(true);
    },
  }).then((res) => {
    onCommit(false);
    return res;
  });
  if (!(await committed)) {
    const res = await running;
    return fail(describeFailure(`live ${n}: A never committed`, res));
  }
  const times = [];
  let error = null;
  let firstBytes = 0;
  let doneAtEnd = 0;
  for (let s = 0; s < samples; s++) {
    const res = await statusOnce(db, runId, dir, s === 0 ? n + 2 : undefined);
    if (res.error) {
      error = res.error;
      break;
    }
    if (s === 0) firstBytes = res.bytes;
    doneAtEnd = finished;
    times.push(res.ms);
    await new Promise((r) => setTimeout(r, 100));
  }
  handle?.kill("SIGTERM");
  const end = await running;
  if (end.code === 0) {
    log(`live ${n}: the run ended before sampling did; samples may not all be of a running run`);
  }
  raw[`status-live-${n}`] = {
    status_ms: times,
    tasks_done_at_last_sample: doneAtEnd,
    orch_peak_kb: end.peakKb,
  };
  const judged = n === 10_000;
  if (error) {
    fail(`live ${n}: ${error}`);
    rows.push({
      workload: "orch status --json, run executing",
      size: fmtInt(n + 2),
      orch: "error",
      verdict: "error",
      note: error,
    });
  } else {
    const m = median(times);
    log(`status --json during ${n}-node run: median ${fmtMs(m)}, max ${fmtMs(max(times))}`);
    rows.push({
      workload: "orch status --json, run executing",
      size: fmtInt(n + 2),
      reps: times.length,
      baseline: "",
      orch: fmtMs(m),
      ratio: "",
      peak: "",
      target: judged ? "≤ 200 ms" : "(info)",
      verdict: judged ? verdict(m <= 200) : "",
      note: `max ${fmtMs(max(times))}; ${fmtInt(firstBytes)} bytes of JSON; ${doneAtEnd} tasks had finished by the last sample; a whole process (node start-up included)`,
    });
  }
  await graphTimes(`random map, interrupted`, db, runId, dir, CONFIG.graphReps, {
    size: fmtInt(n + 2),
    ...(judged ? { target: "≤ 2 s", limitMs: 2000 } : {}),
  });
};

// ---------------------------------------------------------------- main

const main = async () => {
  log(
    `${opts.smoke ? "smoke" : "full"} run; cli ${CLI}; python ${PYTHON}; memory via ${MEMORY}; work dir ${ROOT}`,
  );
  if (selected.has("chain")) for (const c of CONFIG.chain) await taskLoop("chain", c);
  if (selected.has("wide")) for (const c of CONFIG.wide) await taskLoop("wide", c);
  if (selected.has("parallel")) for (const c of CONFIG.parallel) await parallelWide(c);
  if (selected.has("mutations")) await mutations(CONFIG.mutations);
  if (selected.has("live")) for (const c of CONFIG.live) await liveRun(c);
  if (selected.has("unpromised")) await unpromisedChain(CONFIG.unpromised);
  if (selected.has("executors")) await executorLoops(CONFIG.executors);
  if (selected.has("dynamic")) {
    const [a, b] = CONFIG.dynamic;
    const small = await dynamicChain(a.n, a.reps);
    const big = small ? await dynamicChain(b.n, b.reps) : undefined;
    if (small && big) {
      dynamicRows(small, big);
      // The finished dynamic chain: status and graph of a completed n-node run.
      const status = await statusOnce(big.db, big.runId, big.dir, big.n);
      if (status.error) fail(`dynamic ${big.n}: ${status.error}`);
      else {
        raw[`status-finished-${big.n}`] = { status_ms: [status.ms] };
        rows.push({
          workload: "orch status --json, finished dynamic chain",
          size: fmtInt(big.n),
          reps: 1,
          orch: fmtMs(status.ms),
          target: "(info)",
          note: `${fmtInt(status.bytes)} bytes; every node has one attempt`,
        });
      }
      await graphTimes("finished dynamic chain", big.db, big.runId, big.dir, 1, {
        size: fmtInt(big.n),
      });
    }
  }

  const seconds = (performance.now() - T0) / 1000;
  const machine = {
    ...machineInfo(PYTHON, REPO),
    load_at_start: LOAD_AT_START,
    load_at_end: loadavg(),
  };
  const table = formatTable(rows);
  console.log(
    `orch benchmarks (${opts.smoke ? "smoke" : "full"}), ${new Date().toISOString()}, ${seconds.toFixed(0)} s`,
  );
  console.log(
    `machine: ${machine.nproc} cpus (${machine.cpu}), ${machine.memory_total_mb} MB RAM, node ${machine.node} (\`node -e 0\` ${machine.node_start_ms} ms${machine.node_extra_ca_certs ? ", NODE_EXTRA_CA_CERTS set" : ""}), ${machine.python}, orch ${machine.orch_commit}; memory via ${MEMORY}; load average ${fmtLoad(machine.load_at_start)} at start, ${fmtLoad(machine.load_at_end)} at end`,
  );
  console.log("");
  console.log(table);
  if (errors.length)
    console.log(`\n${errors.length} error(s):\n${errors.map((e) => `- ${e}`).join("\n")}`);
  const out = resolve(
    opts.out ?? join(BENCH_DIR, "results", opts.smoke ? "latest-smoke.json" : "latest.json"),
  );
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify({ mode: opts.smoke ? "smoke" : "full", date: new Date().toISOString(), seconds, machine, memory: MEMORY, config: CONFIG, rows, raw, errors, table }, null, 2)}\n`,
  );
  log(`wrote ${out}`);
  if (!opts.keep) rmSync(ROOT, { recursive: true, force: true });
  process.exitCode = errors.length ? 1 : 0;
};

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
