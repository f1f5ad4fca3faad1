#!/usr/bin/env node
// orch beside other ways of running the same Python scripts, in one run:
// a bash loop, GNU make, Snakemake, orch starting tasks cold and warm.
//
//   node bench/compare.mjs [--smoke] [--only chain,long-chain,wide,map,big-map] [--cli PATH] [--out FILE]
//
// Workloads: a chain of 200 trivial tasks, a chain of 1,000 (bash loop, orch cold and warm), a wide DAG of 1,000 (at parallelism 1 and
// 2), a dynamic map of 1,000 (one task decides how many to add: orch adds nodes,
// Snakemake uses a checkpoint, bash runs what the fan-out task printed), and a warm
// map of 10,000 at --parallel 2 with the peak memory of orch and its starters.
// Every side runs the same task scripts with the same interpreter and PYTHONPATH.
// The ratios are the figures; nothing here asserts on time. See bench/README.md.

import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { detectMemoryMode, measure } from "./lib/proc.mjs";
import { fmtInt, fmtKb, fmtMs, fmtRatio, machineInfo, median } from "./lib/report.mjs";
import { randomMapPromise } from "./lib/workflows.mjs";

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(BENCH_DIR, "..");
const { values: opts } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    only: { type: "string" },
    cli: { type: "string" },
    out: { type: "string" },
  },
});
const SIZES = opts.smoke
  ? { chain: 10, longChain: 20, wide: 10, map: 10, bigMap: 50, reps: 1 }
  : { chain: 200, longChain: 1_000, wide: 1_000, map: 1_000, bigMap: 10_000, reps: 3 };
const WORKLOADS = ["chain", "long-chain", "wide", "map", "big-map"];
const ONLY = new Set(opts.only ? opts.only.split(",") : WORKLOADS);
for (const name of ONLY)
  if (!WORKLOADS.includes(name)) {
    console.error(`--only: unknown workload ${name} (expected some of ${WORKLOADS.join(", ")})`);
    process.exit(2);
  }
const CLI = resolve(opts.cli ?? join(REPO, "dist/cli/orch.js"));
const SDK = join(REPO, "tasks-py");
const MEMORY = detectMemoryMode();
const PYTHON = execFileSync("python3", ["-c", "import sys;print(sys.executable)"], {
  encoding: "utf8",
}).trim();
const ENV = {
  ...process.env,
  PYTHONPATH: process.env.PYTHONPATH ? `${SDK}:${process.env.PYTHONPATH}` : SDK,
};
const ROOT = mkdtempSync(join(tmpdir(), "orch-compare-"));
const T0 = performance.now();
const log = (text) =>
  process.stderr.write(`[compare ${((performance.now() - T0) / 1000).toFixed(0)}s] ${text}\n`);
const errors = [];

const available = (command, args) => spawnSync(command, args, { stdio: "ignore" }).status === 0;
const HAVE_MAKE = available("make", ["--version"]);
const HAVE_SNAKEMAKE = available("snakemake", ["--version"]);

const startMessage = (id, params = {}) =>
  `${JSON.stringify({ type: "start", run_id: "b", node: { id, params }, attempt: 1 })}\n`;

/** A fresh folder with the bench tasks, the start messages and the given files. */
const workdir = (name, files) => {
  const dir = join(ROOT, name);
  mkdirSync(dir, { recursive: true });
  cpSync(join(BENCH_DIR, "tasks"), join(dir, "tasks"), { recursive: true });
  writeFileSync(join(dir, "start.json"), startMessage("n1"));
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
};

const range = (n) => Array.from({ length: n }, (_, i) => i);
const TASK = `${PYTHON} tasks/hello.py < start.json > /dev/null 2>> tasks.log`;

// ---------------------------------------------------------------- each tool's files

const bashLoop = (n) => `set -e\nfor ((i = 0; i < ${n}; i++)); do ${TASK}; done\n`;

const makefile = (n, chain) =>
  [
    `all: ${
      chain
        ? `t${n - 1}`
        : range(n)
            .map((i) => `t${i}`)
            .join(" ")
    }`,
    ...range(n).map((i) => `t${i}:${chain && i > 0 ? ` t${i - 1}` : ""}\n\t@${TASK}`),
    `.PHONY: all ${range(n)
      .map((i) => `t${i}`)
      .join(" ")}`,
    "",
  ].join("\n");

const snakefile = (n, chain) =>
  [
    "rule all:",
    `    input: ${chain ? `"out/t${n - 1}"` : `expand("out/t{i}", i=range(${n}))`}`,
    "rule t:",
    ...(chain ? ['    input: lambda w: [] if int(w.i) == 0 else f"out/t{int(w.i) - 1}"'] : []),
    '    output: touch("out/t{i}")',
    `    shell: "${TASK}"`,
    "",
  ].join("\n");

const fanoutStart = (n) => startMessage("A", { n, run: "tasks/hello.py" });

const bashMap = (n) =>
  [
    "set -e",
    `${PYTHON} tasks/fanout.py < fanout.json > fanout.jsonl 2>> tasks.log`,
    `count=$(grep -c '"add_node"' fanout.jsonl)`,
    `test "$count" = ${n}`,
    `for ((i = 0; i < count; i++)); do ${TASK}; done`,
    "",
  ].join("\n");

const snakeMap = () =>
  [
    "import json, os",
    "def items(wildcards):",
    "    folder = checkpoints.fanout.get().output[0]",
    '    return expand("done/{id}", id=glob_wildcards(os.path.join(folder, "{id}")).id)',
    "rule all:",
    "    input: items",
    "checkpoint fanout:",
    '    output: directory("items")',
    "    run:",
    `        shell("${PYTHON} tasks/fanout.py < fanout.json > fanout.jsonl 2>> tasks.log")`,
    "        os.makedirs(output[0])",
    "        for line in open('fanout.jsonl'):",
    "            message = json.loads(line)",
    "            if message['type'] == 'add_node':",
    "                open(os.path.join(output[0], message['id']), 'w').close()",
    "rule item:",
    '    input: "items/{id}"',
    '    output: touch("done/{id}")',
    `    shell: "${TASK}"`,
    "",
  ].join("\n");

const STATIC = { scope: "*", nodes: false, edges: false };

const orchStatic = (n, chain, warm) =>
  JSON.stringify({
    name: `compare-${chain ? "chain" : "wide"}-${n}`,
    ...(warm ? { defaults: { warm: true } } : {}),
    nodes: range(n).map((i) => ({
      id: `t${i}`,
      run: "tasks/hello.py",
      ...(chain && i > 0 ? { depends_on: [`t${i - 1}`] } : {}),
    })),
    promises: [STATIC],
  });

const orchMap = (n, warm) =>
  JSON.stringify({
    name: `compare-map-${n}`,
    ...(warm ? { defaults: { warm: true } } : {}),
    nodes: [{ id: "A", run: "tasks/fanout.py", params: { n, run: "tasks/hello.py" } }],
    promises: [randomMapPromise()],
  });

// ---------------------------------------------------------------- running the sides

/**
 * The sides of one workload, run `reps` times in a rotating order; each side is
 * [name, command, args, cwd-relative files to remove before each run].
 */
const compare = async (workload, size, dir, sides) => {
  const wall = new Map(sides.map(([name]) => [name, []]));
  const cpu = new Map(sides.map(([name]) => [name, []]));
  for (let r = 0; r < SIZES.reps; r++) {
    for (let k = 0; k < sides.length; k++) {
      const [name, command, args, clean = []] = sides[(r + k) % sides.length];
      for (const path of clean) rmSync(join(dir, path), { recursive: true, force: true });
      const res = await measure(command, args, { cwd: dir, env: ENV, memoryMode: MEMORY });
      if (res.code !== 0) {
        const why = res.stderr.trim().split("\n").slice(-3).join(" | ");
        errors.push(`${workload} ${size}: ${name}: exit ${res.code ?? res.signal}: ${why}`);
        log(`ERROR ${errors.at(-1)}`);
        continue;
      }
      wall.get(name).push(res.ms);
      cpu.get(name).push(res.cpuMs);
      log(`${workload} ${size} ${name}: ${fmtMs(res.ms)}`);
    }
  }
  const reference = median(wall.get(sides[0][0]));
  for (const [name] of sides) {
    const ms = median(wall.get(name));
    rows.push({
      workload,
      size: fmtInt(size),
      side: name,
      wall: fmtMs(ms),
      perTask: ms === null ? "—" : `${(ms / size).toFixed(1)} ms`,
      ratio: ms === null || reference === null ? "—" : fmtRatio(ms / reference),
      cpu: fmtMs(median(cpu.get(name))),
    });
  }
};

const orchStart = (dir, file, parallel) => [
  "node",
  [CLI, "start", join(dir, file), "--db", join(dir, ".orch", "orch.db"), "--parallel", parallel],
  [".orch"],
];

const rows = [];

/** `tools`: whether make and Snakemake run beside the bash loop (not on the long chain). */
const staticWorkload = async (kind, n, parallelisms, tools = true) => {
  const chain = kind === "chain";
  const dir = workdir(`${kind}-${n}`, {
    "loop.sh": bashLoop(n),
    Makefile: makefile(n, chain),
    Snakefile: snakefile(n, chain),
    "cold.json": orchStatic(n, chain, false),
    "warm.json": orchStatic(n, chain, true),
  });
  for (const p of parallelisms) {
    const sides = [
      ...(p === 1 ? [["bash loop", "bash", ["loop.sh"]]] : []),
      ...(tools && HAVE_MAKE ? [[`make -j${p}`, "make", ["-s", `-j${p}`]]] : []),
      ...(tools && HAVE_SNAKEMAKE
        ? [[`snakemake -j${p}`, "snakemake", ["-q", "-j", String(p)], ["out", ".snakemake"]]]
        : []),
      [`orch cold -p${p}`, ...orchStart(dir, "cold.json", String(p))],
      [`orch warm -p${p}`, ...orchStart(dir, "warm.json", String(p))],
    ];
    await compare(`${kind}${chain ? "" : `, parallelism ${p}`}`, n, dir, sides);
  }
};

const mapWorkload = async (n) => {
  const dir = workdir(`map-${n}`, {
    "fanout.json": fanoutStart(n),
    "loop.sh": bashMap(n),
    Snakefile: snakeMap(),
    "cold.json": orchMap(n, false),
    "warm.json": orchMap(n, true),
  });
  for (const p of [1, 2]) {
    const sides = [
      ...(p === 1 ? [["bash loop", "bash", ["loop.sh"]]] : []),
      ...(HAVE_SNAKEMAKE
        ? [
            [
              `snakemake -j${p}`,
              "snakemake",
              ["-q", "-j", String(p)],
              ["items", "done", ".snakemake"],
            ],
          ]
        : []),
      [`orch cold -p${p}`, ...orchStart(dir, "cold.json", String(p))],
      [`orch warm -p${p}`, ...orchStart(dir, "warm.json", String(p))],
    ];
    await compare(`dynamic map, parallelism ${p}`, n, dir, sides);
  }
};

/** Resident memory (KiB) of `pid` and its direct children: orch, its spawner and warm starter. */
const treeRssKb = (pid) => {
  const rss = (p) => {
    try {
      const match = /^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${p}/status`, "utf8"));
      return match ? Number(match[1]) : 0;
    } catch {
      return 0;
    }
  };
  let children = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/);
  } catch {
    // Gone.
  }
  return rss(pid) + children.filter(Boolean).reduce((sum, child) => sum + rss(child), 0);
};

const bigWarmMap = async (n) => {
  const dir = workdir(`warm-map-${n}`, { "warm.json": orchMap(n, true) });
  const [command, args] = orchStart(dir, "warm.json", "2");
  let peakKb = 0;
  const t0 = performance.now();
  const child = (await import("node:child_process")).spawn(command, args, {
    cwd: dir,
    env: ENV,
    stdio: ["ignore", "ignore", "pipe"],
  });
  const sampler = setInterval(() => {
    peakKb = Math.max(peakKb, treeRssKb(child.pid));
  }, 100);
  const code = await new Promise((done) => child.on("exit", done));
  clearInterval(sampler);
  const ms = performance.now() - t0;
  if (code !== 0) {
    errors.push(`warm map ${n}: orch exited ${code}`);
    return;
  }
  rows.push({
    workload: "warm map, end to end",
    size: fmtInt(n),
    side: "orch warm -p2",
    wall: fmtMs(ms),
    perTask: `${(ms / n).toFixed(1)} ms`,
    ratio: "",
    cpu: `peak RSS of orch + its starters: ${fmtKb(peakKb)}`,
  });
  log(`warm map ${n}: ${fmtMs(ms)}, peak ${fmtKb(peakKb)}`);
};

// ---------------------------------------------------------------- main

const loadBefore = loadavg();
log(
  `make: ${HAVE_MAKE ? "yes" : "not installed"}, snakemake: ${HAVE_SNAKEMAKE ? "yes" : "not installed (apt-get install snakemake)"}`,
);
if (ONLY.has("chain")) await staticWorkload("chain", SIZES.chain, [1]);
if (ONLY.has("long-chain")) await staticWorkload("chain", SIZES.longChain, [1], false);
if (ONLY.has("wide")) await staticWorkload("wide", SIZES.wide, [1, 2]);
if (ONLY.has("map")) await mapWorkload(SIZES.map);
if (ONLY.has("big-map")) await bigWarmMap(SIZES.bigMap);

const COLUMNS = [
  ["workload", "workload"],
  ["size", "tasks"],
  ["side", "side"],
  ["wall", "wall (median)"],
  ["perTask", "per task"],
  ["ratio", "ratio to first side"],
  ["cpu", "CPU"],
];
const widths = COLUMNS.map(([key, title]) =>
  Math.max(title.length, ...rows.map((row) => String(row[key]).length)),
);
const line = (cells) =>
  cells
    .map((cell, i) => String(cell).padEnd(widths[i]))
    .join("  ")
    .trimEnd();
console.log(line(COLUMNS.map(([, title]) => title)));
for (const row of rows) console.log(line(COLUMNS.map(([key]) => row[key])));
console.log(`\nload average before: ${loadBefore.map((l) => l.toFixed(2)).join(" ")}`);
console.log(
  `load average after:  ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
const out =
  opts.out ?? join(REPO, "bench", "results", opts.smoke ? "compare-smoke.json" : "compare.json");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify({ machine: machineInfo(PYTHON, REPO), rows, errors }, null, 1)}\n`,
);
rmSync(ROOT, { recursive: true, force: true });
if (errors.length > 0) {
  console.error(`\n${errors.length} error(s):\n${errors.join("\n")}`);
  process.exit(1);
}
