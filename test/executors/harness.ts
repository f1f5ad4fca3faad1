/**
 * Drives a real executor directly: a scratch workflow folder holding the probe
 * task (fixtures/container/tasks/probe.py), one attempt started through the
 * executor, its stdout decoded line by line.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { afterEach, beforeEach, describe, it } from "vitest";
import { LineSplitter } from "../../src/engine/line-splitter.js";
import type { Spawner } from "../../src/engine/spawner.js";
import type { Executor, ExecutorEnd, ExecutorTask } from "../../src/executors/executor.js";
import { SDK_DIR } from "../../src/package-root.js";

export const ROOT = resolve(import.meta.dirname, "../..");
export const PROBE = join(ROOT, "fixtures/container/tasks/probe.py");
export const TEST_IMAGE = process.env.ORCH_TEST_IMAGE ?? "localhost/orch-python:test";

/**
 * The real-engine tests run where the engine is set up (CI runs
 * scripts/setup-executors.sh). Elsewhere they fail saying they did not run,
 * unless ORCH_EXECUTOR_TESTS=skip opts out, which is printed. `unavailable` is
 * what the executor's `missing()` said (awaited at the top of the test file).
 */
export const describeWithEngine = (
  engine: string,
  unavailable: string | null,
  body: () => void,
): void => {
  if (unavailable === null) {
    describe(`${engine} (real)`, body);
    return;
  }
  const message = `the ${engine} executor tests did NOT run: ${unavailable}. Run scripts/setup-executors.sh as root, or set ORCH_EXECUTOR_TESTS=skip to skip them knowingly.`;
  if (process.env.ORCH_EXECUTOR_TESTS === "skip") {
    console.warn(`ORCH_EXECUTOR_TESTS=skip: ${message}`);
    describe.skip(`${engine} (real, skipped by ORCH_EXECUTOR_TESTS=skip)`, body);
    return;
  }
  describe(`${engine} (real)`, () => {
    it("has its engine", () => {
      throw new Error(message);
    });
  });
};

export const scratchWorkflow = (): { readonly dir: string; readonly logs: string } => {
  const dir = mkdtempSync(join(tmpdir(), "orch-executor-"));
  mkdirSync(join(dir, "tasks"));
  mkdirSync(join(dir, "logs"));
  copyFileSync(PROBE, join(dir, "tasks/probe.py"));
  return { dir, logs: join(dir, "logs") };
};

export const removeScratch = (dir: string): void => rmSync(dir, { recursive: true, force: true });

/** A fresh scratch workflow folder for each test of the file, removed after it. */
export const useScratch = (): (() => { readonly dir: string; readonly logs: string }) => {
  let current = { dir: "", logs: "" };
  beforeEach(() => {
    current = scratchWorkflow();
  });
  afterEach(() => removeScratch(current.dir));
  return () => current;
};

/** How an attempt of the probe ends when PATH holds none of the engines' commands. */
export const endWithoutEngines = async (
  makeExecutor: () => Executor,
  dir: string,
): Promise<ExecutorEnd> => {
  const saved = process.env.PATH;
  process.env.PATH = "/nonexistent";
  try {
    const task = makeExecutor().start({
      runId: "no-engine",
      nodeId: "n",
      attempt: 1,
      argv: ["python3", join(dir, "tasks/probe.py")],
      cwd: dir,
      env: {},
      stdin: "{}\n",
      logPath: join(dir, "logs", "n.log"),
    });
    return await task.end;
  } finally {
    process.env.PATH = saved;
  }
};

export interface StartedProbe {
  readonly task: ExecutorTask;
  readonly messages: Record<string, unknown>[];
  readonly logPath: string;
  /** Resolves once a message satisfies `test`. */
  waitFor(test: (message: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  readonly ended: Promise<{
    readonly end: ExecutorEnd;
    readonly messages: Record<string, unknown>[];
  }>;
}

export const startProbe = (
  executor: Executor,
  options: {
    readonly dir: string;
    readonly runId: string;
    readonly nodeId: string;
    readonly attempt?: number;
    readonly params?: Record<string, unknown>;
  },
): StartedProbe => {
  const attempt = options.attempt ?? 1;
  const logPath = join(options.dir, "logs", `${options.nodeId}.${attempt}.log`);
  const task = executor.start({
    runId: options.runId,
    nodeId: options.nodeId,
    attempt,
    argv: ["python3", join(options.dir, "tasks/probe.py")],
    cwd: options.dir,
    env: {
      ORCH_RUN_ID: options.runId,
      ORCH_NODE_ID: options.nodeId,
      ORCH_ATTEMPT: String(attempt),
      PYTHONPATH: SDK_DIR,
    },
    stdin: `${JSON.stringify({
      type: "start",
      run_id: options.runId,
      node: { id: options.nodeId, params: options.params ?? {} },
      attempt,
    })}\n`,
    logPath,
  });
  const messages: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  const drained = new Promise<void>((done) => {
    const lines = task.stdout.pipe(new LineSplitter(Number.MAX_SAFE_INTEGER));
    lines.on("data", (line: string) => {
      messages.push(JSON.parse(line) as Record<string, unknown>);
      for (const wake of waiters.splice(0)) wake();
    });
    lines.on("end", done);
    lines.on("close", done);
  });
  const waitFor = async (test: (message: Record<string, unknown>) => boolean) => {
    for (;;) {
      const found = messages.find(test);
      if (found) return found;
      await new Promise<void>((wake) => waiters.push(wake));
    }
  };
  const ended = Promise.all([task.end, drained]).then(([end]) => ({ end, messages }));
  return { task, messages, logPath, waitFor, ended };
};

/** Start the probe in its sleeping mode and wait until it says it is ready. */
export const startSleeper = async (
  executor: Executor,
  options: { readonly dir: string; readonly runId: string; readonly nodeId: string },
): Promise<StartedProbe> => {
  const probe = startProbe(executor, { ...options, params: { mode: "sleep" } });
  await probe.waitFor((m) => m.type === "log" && m.message === "ready");
  return probe;
};

export const outputOf = (messages: readonly Record<string, unknown>[]) =>
  messages.find((message) => message.type === "output")?.values as Record<string, unknown>;

export const readLog = (path: string): string => readFileSync(path, "utf8");

/** Poll a condition until it holds (the test's own timeout bounds the wait). */
export const eventually = async (condition: () => Promise<boolean>): Promise<void> => {
  while (!(await condition())) await sleep(200);
};

export const lines = async (argv: readonly [string, ...string[]]): Promise<string[]> => {
  const [program, ...args] = argv;
  const result = await execa(program, args, { reject: false });
  return String(result.stdout)
    .split("\n")
    .filter((line) => line.trim() !== "");
};

export type { Spawner };
