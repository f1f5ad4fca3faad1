import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { isAlive } from "../../src/daemon/state-file.js";
import { DEFAULT_LIMITS } from "../../src/engine/limits.js";
import { abandonRun, thisProcess } from "../../src/engine/ownership.js";
import { registerRun } from "../../src/engine/register.js";
import { now, Store } from "../../src/store/store.js";
import { loadWorkflow } from "../../src/workflow/load.js";
import { fixture, writeFiles } from "../cli/helpers.js";
import { type TestDaemon, testDaemon, waitFor } from "./helpers.js";

/**
 * A task that marks its start (`+`) and end (`-`) in a shared file, and between
 * them waits until `want` tasks run at once, or `total` have started, or 5 s.
 */
const BARRIER_TASK = `import os, sys, time
marker, want, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def mark(c):
    fd = os.open(marker, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.write(fd, c.encode())
    os.close(fd)
mark("+")
deadline = time.time() + 5
while time.time() < deadline:
    text = open(marker).read()
    if text.count("+") - text.count("-") >= want or text.count("+") >= total:
        break
    time.sleep(0.05)
mark("-")
`;

/** Most tasks that ran at once, from the marks they left. */
const mostAtOnce = (marker: string): number => {
  let running = 0;
  let most = 0;
  for (const mark of readFileSync(marker, "utf8")) {
    running += mark === "+" ? 1 : -1;
    most = Math.max(most, running);
  }
  return most;
};

const StatusSchema = z.object({
  run: z.object({ status: z.string(), parallel: z.number() }),
});

const daemons: TestDaemon[] = [];
afterEach(async () => {
  for (const t of daemons.splice(0)) await t.daemon.stop("the test ended");
});

const started = async (options: { maxTasks?: number } = {}): Promise<TestDaemon> => {
  const t = await testDaemon(options);
  daemons.push(t);
  return t;
};

const submit = (t: TestDaemon, body: unknown) =>
  t.call("/api/runs", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

const ended = (t: TestDaemon, runId: string) =>
  waitFor(async () => {
    const doc = StatusSchema.parse(await (await t.call(`/api/runs/${runId}`)).json());
    return doc.run.status === "running" ? undefined : doc;
  });

/** A workflow of `nodes` independent barrier tasks sharing `marker`. */
const barrierWorkflow = (t: TestDaemon, name: string, nodes: number, args: string[]): string =>
  writeFiles(t.dir, {
    [`${name}.json`]: JSON.stringify({
      name,
      nodes: Array.from({ length: nodes }, (_, i) => ({ id: `n${i}`, run: "barrier.py", args })),
    }),
    "barrier.py": BARRIER_TASK,
  });

describe("the daemon's runs on the engine", () => {
  it("runs as many tasks of a run at once as its parallel", async () => {
    const t = await started();
    const marker = join(t.dir, "marks");
    const workflow = barrierWorkflow(t, "wide", 3, [marker, "3", "3"]);
    expect((await submit(t, { workflow, run_id: "wide-1", parallel: 3 })).status).toBe(201);
    const doc = await ended(t, "wide-1");
    expect(doc.run).toEqual({ status: "succeeded", parallel: 3 });
    expect(mostAtOnce(marker)).toBe(3);
  });

  it("runs no more tasks at once than --max-tasks, over all its runs", async () => {
    const t = await started({ maxTasks: 2 });
    const marker = join(t.dir, "marks");
    // Each task waits for 3 at once, which the cap never allows, or for all 6 to start.
    const workflow = barrierWorkflow(t, "capped", 3, [marker, "3", "6"]);
    for (const runId of ["cap-1", "cap-2"])
      expect((await submit(t, { workflow, run_id: runId, parallel: 3 })).status).toBe(201);
    expect((await ended(t, "cap-1")).run.status).toBe("succeeded");
    expect((await ended(t, "cap-2")).run.status).toBe("succeeded");
    expect(mostAtOnce(marker)).toBe(2);
  });

  it("resumes an interrupted run on request", async () => {
    const t = await started();
    const loaded = loadWorkflow(fixture("diamond"));
    if (!loaded.ok) throw new Error("the diamond fixture does not load");
    const store = Store.open(t.db);
    registerRun(store, loaded.value, "left-1", "diamond", { limits: DEFAULT_LIMITS, parallel: 2 });
    abandonRun(store, "left-1", "the test stopped it");
    store.close();

    const resumed = await t.call("/api/runs/left-1/resume", { method: "POST" });
    expect(await resumed.json()).toEqual({ message: "run left-1 resumed" });
    expect((await ended(t, "left-1")).run).toEqual({ status: "succeeded", parallel: 2 });
  });

  it("stops a run another process takes over, and serves on", async () => {
    const t = await started();
    const pidFile = join(t.dir, "task.pid");
    const workflow = writeFiles(t.dir, {
      "held.json": JSON.stringify({ name: "held", nodes: [{ id: "a", run: "held.py" }] }),
      "held.py": `import os, time\nopen(${JSON.stringify(pidFile)}, "w").write(str(os.getpid()))\ntime.sleep(300)\n`,
    });
    expect((await submit(t, { workflow, run_id: "taken-1" })).status).toBe(201);
    const pid = await waitFor(() =>
      existsSync(pidFile) && readFileSync(pidFile, "utf8") !== ""
        ? Number(readFileSync(pidFile, "utf8"))
        : undefined,
    );

    // Another process claims the run: the daemon's next write of it is fenced out.
    const other = Store.open(t.db);
    other.transaction(() => other.claim("taken-1", thisProcess(), now()));
    other.close();

    const log = join(t.dir, "orch.log");
    await waitFor(() =>
      readFileSync(log, "utf8").includes("run taken-1: the daemon could not execute it")
        ? true
        : undefined,
    );
    expect(readFileSync(log, "utf8")).toContain("run taken-1: lost:");
    await waitFor(() => (isAlive(pid) ? undefined : true));

    expect((await submit(t, { workflow: fixture("diamond"), run_id: "after-1" })).status).toBe(201);
    expect((await ended(t, "after-1")).run.status).toBe("succeeded");
  });
});
