/**
 * Ctrl-C and SIGTERM: orch stops the running task and every process it started,
 * records the run as interrupted (exit 130), and `orch resume` carries on, running
 * the interrupted node again as a new attempt. A run that a live orch is executing
 * cannot be resumed by a second one.
 */
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { afterEach, describe, expect, it } from "vitest";
import {
  expectNoCrash,
  finish,
  isAlive,
  MAIN,
  nodeOf,
  openReadOnly,
  ROOT,
  readPids,
  scratchSpace,
  status,
  waitFor,
  workflow,
} from "./helpers.js";

/** Attempt 1 starts a `sleep 30` child, writes "TASK_PID CHILD_PID" to `pids`, and sleeps; later attempts finish at once. */
const SLOW = `import os, signal, subprocess, sys, time
from orch import task
if task.attempt == 1:
    if "--ignore-term" in sys.argv:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child = subprocess.Popen(["sleep", "100000"])
    with open("pids.tmp", "w") as f:
        f.write(f"{os.getpid()} {child.pid}\\n")
    os.replace("pids.tmp", "pids")
    time.sleep(100000)  # orch must stop it: waiting for it would never end
task.output(attempt=task.attempt)
`;
const LEAF = "from orch import task\ntask.output(ok=True)\n";

const { scratch, leftovers } = scratchSpace(afterEach);

const slowWorkflow = (args: string[] = []) => {
  const sb = scratch();
  const file = sb.write({
    "w/workflow.json": workflow("slow", [
      { id: "a", run: "slow.py", args },
      { id: "b", run: "leaf.py", depends_on: ["a"] },
    ]),
    "w/slow.py": SLOW,
    "w/leaf.py": LEAF,
  });
  return { sb, file, pidFile: join(sb.dir, "w/pids") };
};

describe("interrupting orch", () => {
  it.each(["SIGINT", "SIGTERM"] as const)(
    "%s: exit 130, the task and its child are gone, the run is interrupted, resume finishes it",
    async (signal) => {
      const { sb, file, pidFile } = slowWorkflow();
      const started = Date.now();
      const child = sb.spawn("start", file, "--run-id", "r1");
      const pids = await readPids(pidFile);
      leftovers.push(...pids);
      child.kill(signal);
      const result = await finish(child, started);
      expect(result.exitCode).toBe(130);
      expectNoCrash(result);
      expect(result.stderr).toBe("");
      expect(result.stdout).toContain("resume it with: orch resume r1");
      for (const pid of pids)
        expect(await waitFor(() => !isAlive(pid), 2_000), `pid ${pid} is gone`).toBe(true);

      const interrupted = await status(sb, "r1");
      expect(interrupted.run.status).toBe("interrupted");
      expect(interrupted.run.reason).toContain(signal);
      const a = nodeOf(interrupted, "a");
      expect(a.status).toBe("pending");
      expect(a.history).toHaveLength(1);
      expect(a.history[0]).toMatchObject({ attempt: 1, status: "lost" });
      expect(a.history[0]!.reason).toMatch(new RegExp(`interrupted: received ${signal}`));
      expect(nodeOf(interrupted, "b").status).toBe("pending");

      const resumed = await sb.orch("resume", "r1");
      expect(resumed.exitCode).toBe(0);
      expectNoCrash(resumed);
      const done = await status(sb, "r1");
      expect(done.run.status).toBe("succeeded");
      const a2 = nodeOf(done, "a");
      expect(a2.attempts).toBe(2);
      expect(a2.history.map((h) => h.status)).toEqual(["lost", "succeeded"]);
      expect(a2.outputs).toEqual({ attempt: 2 });
      expect(nodeOf(done, "b").status).toBe("succeeded");
    },
  );

  it("a task that ignores SIGTERM is SIGKILLed after --kill-grace", async () => {
    const { sb, file, pidFile } = slowWorkflow(["--ignore-term"]);
    const started = Date.now();
    const child = sb.spawn("start", file, "--run-id", "r1", "--kill-grace", "0.5");
    const pids = await readPids(pidFile);
    leftovers.push(...pids);
    child.kill("SIGINT");
    const result = await finish(child, started);
    expect(result.exitCode).toBe(130);
    expectNoCrash(result);
    for (const pid of pids)
      expect(await waitFor(() => !isAlive(pid), 2_000), `pid ${pid} is gone`).toBe(true);
    expect((await sb.orch("resume", "r1")).exitCode).toBe(0);
  });

  it("Ctrl-C at a terminal, to orch's whole process group, stops the run as SIGINT does", async () => {
    const { sb, file, pidFile } = slowWorkflow();
    const started = Date.now();
    // A terminal signals its foreground job's process group: orch leads one here.
    const child = execa("node", [MAIN, "start", file, "--run-id", "r1", "--db", sb.db], {
      cwd: ROOT,
      reject: false,
      detached: true,
    });
    const pids = await readPids(pidFile);
    leftovers.push(...pids);
    process.kill(-child.pid!, "SIGINT");
    const result = await finish(child, started);
    expect(result.exitCode).toBe(130);
    expectNoCrash(result);
    expect(result.stderr).toBe("");
    for (const pid of pids)
      expect(await waitFor(() => !isAlive(pid), 2_000), `pid ${pid} is gone`).toBe(true);
    const a = nodeOf(await status(sb, "r1"), "a");
    expect(a.history.map((h) => [h.status, h.reason])).toEqual([
      ["lost", "interrupted: received SIGINT"],
    ]);
    expect((await sb.orch("resume", "r1")).exitCode).toBe(0);
  });

  it("Ctrl-C during a retry's back-off stops without waiting for it; resume keeps the due time", async () => {
    const sb = scratch();
    const file = sb.write({
      "w/workflow.json": workflow("backoff", [
        { id: "a", run: "flaky.py", retries: 3, retry_delay: 8, jitter: 0 },
      ]),
      "w/flaky.py": `from orch import task
if task.attempt == 1:
    raise SystemExit(9)
task.output(attempt=task.attempt)
`,
    });
    const started = Date.now();
    const child = sb.spawn("start", file, "--run-id", "r1");
    // Wait until attempt 1's failure is recorded: the node is retrying, its next attempt due.
    let waiting = false;
    for (let i = 0; i < 150 && !waiting; i++) {
      await sleep(100);
      const s = await status(sb, "r1").catch(() => undefined);
      waiting = s !== undefined && nodeOf(s, "a").status === "retrying";
    }
    expect(waiting).toBe(true);
    child.kill("SIGINT");
    const result = await finish(child, started);
    expect(result.exitCode).toBe(130);
    expectNoCrash(result);
    const s = await status(sb, "r1");
    expect(s.run.status).toBe("interrupted");
    // Had orch waited out the back-off, attempt 2 would have run (and succeeded).
    expect(nodeOf(s, "a").history.map((h) => h.status)).toEqual(["failed"]);
    expect(nodeOf(s, "a").status).toBe("retrying");
    const resumed = await sb.orch("resume", "r1");
    expect(resumed.exitCode).toBe(0);
    const done = await status(sb, "r1");
    expect(nodeOf(done, "a").history.map((h) => h.status)).toEqual(["failed", "succeeded"]);
  });
});

describe("resuming a run another orch is executing", () => {
  it("says it is running already (exit 0), naming the live process, and leaves the run alone", async () => {
    const { sb, file, pidFile } = slowWorkflow();
    const started = Date.now();
    const child = sb.spawn("start", file, "--run-id", "r1");
    const pids = await readPids(pidFile);
    leftovers.push(...pids);

    const second = await sb.orch("resume", "r1");
    expect(second.exitCode).toBe(0);
    expectNoCrash(second);
    expect(second.stdout).toMatch(/run r1 is running already \(orch process \d+ executes it\)/);
    expect(second.stdout).toContain(`process ${child.pid} `);
    // The live run did not notice.
    const live = await status(sb, "r1");
    expect(live.run.status).toBe("running");
    expect(nodeOf(live, "a").status).toBe("running");
    expect(nodeOf(live, "a").history).toHaveLength(1);
    for (const pid of pids) expect(isAlive(pid)).toBe(true);

    child.kill("SIGINT");
    expect((await finish(child, started)).exitCode).toBe(130);
    const resumed = await sb.orch("resume", "r1");
    expect(resumed.exitCode).toBe(0);

    const again = await sb.orch("resume", "r1");
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toMatch(/run r1 has ended \(succeeded\)/);
    const unknown = await sb.orch("resume", "nope");
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/no run with id nope/);
    expectNoCrash(unknown);
  });

  it("two resumes started together: exactly one runs the run, the other is refused", async () => {
    const { sb, file, pidFile } = slowWorkflow();
    const started = Date.now();
    const child = sb.spawn("start", file, "--run-id", "r1");
    leftovers.push(...(await readPids(pidFile)));
    child.kill("SIGINT");
    expect((await finish(child, started)).exitCode).toBe(130);

    const [one, two] = await Promise.all([sb.orch("resume", "r1"), sb.orch("resume", "r1")]);
    const codes = [one.exitCode, two.exitCode].sort();
    expect(codes, `stderr: ${one.stderr} | ${two.stderr}`).toEqual([0, 2]);
    for (const r of [one, two]) expectNoCrash(r);
    const done = await status(sb, "r1");
    expect(done.run.status).toBe("succeeded");
    expect(nodeOf(done, "a").history.map((h) => h.status)).toEqual(["lost", "succeeded"]);
    expect(nodeOf(done, "b").history.map((h) => h.status)).toEqual(["succeeded"]);
  });
});

describe("limits across a resume", () => {
  /** Attempt 1 writes its pid to `pids` and sleeps; attempt 2 adds ten nodes. */
  const GROWS_LATER = `import os, time
from orch import task
if task.attempt == 1:
    with open("pids.tmp", "w") as f:
        f.write(f"{os.getpid()}\\n")
    os.replace("pids.tmp", "pids")
    time.sleep(30)
for i in range(10):
    task.add_node(f"m-{i}", run="leaf.py")
`;

  /** A run started with `--max-nodes 5` and interrupted while `a` sleeps. */
  const interruptedRun = async (runId: string) => {
    const sb = scratch();
    const file = sb.write({
      "w/workflow.json": workflow("grows", [{ id: "a", run: "grows.py" }]),
      "w/grows.py": GROWS_LATER,
      "w/leaf.py": LEAF,
    });
    const started = Date.now();
    const child = sb.spawn("start", file, "--run-id", runId, "--max-nodes", "5");
    leftovers.push(...(await readPids(join(sb.dir, "w/pids"))));
    child.kill("SIGINT");
    expect((await finish(child, started)).exitCode).toBe(130);
    return sb;
  };

  it("orch resume keeps the limits the run was started with", async () => {
    const sb = await interruptedRun("r1");
    const resumed = await sb.orch("resume", "r1");
    expectNoCrash(resumed);
    expect(resumed.exitCode).toBe(1);
    const a = nodeOf(await status(sb, "r1"), "a");
    expect(a.status).toBe("failed");
    expect(a.reason).toMatch(/the run would exceed 5 nodes \(--max-nodes\)/);
  });

  it("a limit given to orch resume replaces the run's, and stays with the run", async () => {
    const sb = await interruptedRun("r2");
    const resumed = await sb.orch("resume", "r2", "--max-nodes", "50");
    expectNoCrash(resumed);
    expect(resumed.exitCode).toBe(0);
    const done = await status(sb, "r2");
    expect(done.run.status).toBe("succeeded");
    expect(done.nodes).toHaveLength(11);
    const db = openReadOnly(sb.db);
    const limits = db.prepare("SELECT limits FROM runs WHERE id = 'r2'").pluck().get();
    db.close();
    expect(JSON.parse(String(limits))).toMatchObject({
      maxNodes: 50,
      maxLineLength: 17825792,
      maxOutput: 16777216,
    });
  });
});

describe("orch killed outright", () => {
  it("SIGKILL: the running task and its child die with it, and resume runs the node again", async () => {
    const { sb, file, pidFile } = slowWorkflow();
    const started = Date.now();
    const child = sb.spawn("start", file, "--run-id", "r1");
    const pids = await readPids(pidFile);
    leftovers.push(...pids);
    child.kill("SIGKILL");
    expect((await finish(child, started)).signal).toBe("SIGKILL");
    // orch's spawner sees its stdin close and kills the task's process group.
    for (const pid of pids)
      expect(await waitFor(() => !isAlive(pid), 2_000), `pid ${pid} is gone`).toBe(true);
    const resumed = await sb.orch("resume", "r1");
    expect(resumed.exitCode).toBe(0);
    expectNoCrash(resumed);
    const done = await status(sb, "r1");
    expect(nodeOf(done, "a").history.map((h) => [h.status, h.reason])).toEqual([
      ["lost", "lost: the orchestrator stopped while it ran"],
      ["succeeded", null],
    ]);
  });
});
