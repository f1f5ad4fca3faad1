import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { executeRun, type RunOutcome } from "../../src/engine/execute.js";
import { DEFAULT_LIMITS } from "../../src/engine/limits.js";
import type { Progress } from "../../src/engine/progress.js";
import { registerRun } from "../../src/engine/register.js";
import { Store } from "../../src/store/store.js";
import { WorkflowSchema } from "../../src/workflow/schema.js";
import {
  FakeExecutor,
  type FakeScript,
  type FakeTask,
  fakeExecutors,
} from "../support/fake-executor.js";

/**
 * A run of `workflow` (every node's script is `t.py`) on a fake executor,
 * in a fresh database: the engine as the CLI drives it, without processes.
 */
export const runOnFake = (
  workflow: Record<string, unknown>,
  script: (task: FakeTask) => FakeScript,
  parallel = 1,
  /** What happened before this process executes the run: events recorded after registration. */
  before: (store: Store) => void = () => {},
) => {
  const dir = mkdtempSync(join(tmpdir(), "orch-engine-"));
  writeFileSync(join(dir, "t.py"), "");
  const store = Store.open(join(dir, "orch.db"));
  const parsed = WorkflowSchema.parse({ name: "t", ...workflow });
  registerRun(store, { file: join(dir, "w.json"), dir, workflow: parsed }, "r", "w.json", {
    limits: DEFAULT_LIMITS,
    parallel,
  });
  before(store);
  const executor = new FakeExecutor(script);
  let interrupt: (why: string) => void = () => {};
  const interrupted = new Promise<string>((resolve) => {
    interrupt = resolve;
  });
  const progress: Progress[] = [];
  const outcome: Promise<RunOutcome> = executeRun({
    store,
    runId: "r",
    dir,
    python: "python3",
    logsDir: join(dir, "logs"),
    limits: DEFAULT_LIMITS,
    parallel,
    onProgress: (p) => progress.push(p),
    interrupted,
    random: () => 0.5,
    executors: fakeExecutors(executor),
    onLost: (error) => {
      throw error;
    },
  });
  const doc = () => store.status.statusDocument("r")!;
  const node = (id: string) => doc().nodes.find((n) => n.id === id);
  return { store, executor, outcome, progress, interrupt, doc, node };
};

/** A promise and its resolver: a gate a fake task waits at until the test opens it. */
export const gate = () => {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
};

export const addNode = (id: string) => ({ type: "add_node", id, run: "t.py" });
