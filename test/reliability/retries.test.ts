/**
 * Retries with back-off, per-node and workflow-wide policy, per-attempt logs,
 * discarded mutations of failed attempts, and timeouts that kill a task's whole
 * process group (SIGTERM, then SIGKILL after --kill-grace).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  expectNoCrash,
  finish,
  isAlive,
  nodeOf,
  openReadOnly,
  readPids,
  scratchSpace,
  status,
  waitFor,
  workflow,
} from "./helpers.js";

/** Fails (exit 10 + attempt) until attempt FAIL_UNTIL+1; adds node `x` every attempt. */
const FLAKY = `import os, sys
from orch import task
attempt = int(os.environ["ORCH_ATTEMPT"])
assert attempt == task.attempt
fail_until = int(sys.argv[1])
print(f"stderr of attempt {attempt}", file=sys.stderr, flush=True)
# The same id every attempt: if a failed attempt's mutation survived, this would be a duplicate.
task.add_node(f"x-{task.node_id}", run="leaf.py", params={"from_attempt": attempt})
task.add_edge(task.node_id, f"x-{task.node_id}")
if attempt <= fail_until:
    raise SystemExit(10 + attempt)
task.output(attempt=attempt)
`;
const LEAF = "from orch import task\ntask.output(ok=True)\n";

const { scratch, leftovers } = scratchSpace(afterEach);

const seconds = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 1000;

describe("retries", () => {
  it("retries a failing task with back-off until it succeeds, keeping every attempt", async () => {
    const sb = scratch();
    const file = sb.write({
      "w/workflow.json": workflow("retry", [
        { id: "a", run: "flaky.py", args: ["2"], retries: 2, retry_delay: 0.1, backoff: 2 },
        { id: "b", run: "leaf.py", depends_on: ["a"] },
      ]),
      "w/flaky.py": FLAKY,
      "w/leaf.py": LEAF,
    });
    const result = await sb.orch("start", file, "--run-id", "r1");
    expect(result.exitCode).toBe(0);
    expectNoCrash(result);
    expect(result.stdout).toMatch(
      /attempt 1 failed \(exited with code 11\); next attempt in 0\.1s/,
    );
    expect(result.stdout).toMatch(
      /attempt 2 failed \(exited with code 12\); next attempt in 0\.2s/,
    );

    const s = await status(sb, "r1");
    expect(s.run.status).toBe("succeeded");
    const a = nodeOf(s, "a");
    expect(a.status).toBe("succeeded");
    expect(a.attempts).toBe(3);
    expect(a.outputs).toEqual({ attempt: 3 });
    expect(a.history.map((h) => [h.attempt, h.status, h.exit_code])).toEqual([
      [1, "failed", 11],
      [2, "failed", 12],
      [3, "succeeded", 0],
    ]);
    expect(a.history[0]!.reason).toBe("exited with code 11");
    expect(a.history[1]!.reason).toBe("exited with code 12");
    // Back-off: 0.1 s, then 0.2 s (±10% jitter) between an attempt's end and the next one's start.
    expect(seconds(a.history[0]!.finished_at!, a.history[1]!.started_at)).toBeGreaterThanOrEqual(
      0.085,
    );
    expect(seconds(a.history[1]!.finished_at!, a.history[2]!.started_at)).toBeGreaterThanOrEqual(
      0.175,
    );
    // Each attempt has its own log file.
    expect(new Set(a.history.map((h) => h.log)).size).toBe(3);

    // Only the successful attempt's mutations were committed: x-a once, from attempt 3.
    const x = nodeOf(s, "x-a");
    expect(x.created_by).toBe("a");
    expect(s.edges.filter((e) => e.to === "x-a")).toEqual([
      { from: "a", to: "x-a", created_by: "a" },
    ]);
    const db = openReadOnly(sb.db);
    try {
      const adds = db
        .prepare(
          "SELECT payload FROM events WHERE run_id = 'r1' AND type = 'node_added' AND node_id = 'x-a'",
        )
        .all() as { payload: string }[];
      expect(adds).toHaveLength(1);
      expect(JSON.parse(adds[0]!.payload).params).toEqual({ from_attempt: 3 });
      expect(db.prepare("SELECT COUNT(*) AS n FROM staged").get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }

    const logs = await sb.orch("logs", "r1", "a");
    expect(logs.exitCode).toBe(0);
    const sections = logs.stdout.split(/^== /m).filter(Boolean);
    expect(sections.map((t) => t.split("\n")[0])).toEqual([
      "a attempt 1 (failed) ==",
      "a attempt 2 (failed) ==",
      "a attempt 3 (succeeded) ==",
    ]);
    sections.forEach((text, i) => {
      expect(text).toContain(`stderr of attempt ${i + 1}`);
      for (const other of [1, 2, 3].filter((n) => n !== i + 1))
        expect(text).not.toContain(`stderr of attempt ${other}`);
    });
    expect(sections[0]).toContain("-- exited with code 11");
  });

  it("gives up after `retries` further attempts: failed after 2 attempts with retries 1", async () => {
    const sb = scratch();
    const file = sb.write({
      "w/workflow.json": workflow("retry", [
        { id: "a", run: "flaky.py", args: ["2"], retries: 1, retry_delay: 0.05 },
        { id: "b", run: "leaf.py", depends_on: ["a"] },
      ]),
      "w/flaky.py": FLAKY,
      "w/leaf.py": LEAF,
    });
    const result = await sb.orch("start", file, "--run-id", "r1");
    expect(result.exitCode).toBe(1);
    expectNoCrash(result);
    const s = await status(sb, "r1");
    expect(s.run.status).toBe("failed");
    const a = nodeOf(s, "a");
    expect(a.status).toBe("failed");
    expect(a.attempts).toBe(2);
    expect(a.reason).toBe("exited with code 12");
    expect(a.history.map((h) => [h.status, h.reason])).toEqual([
      ["failed", "exited with code 11"],
      ["failed", "exited with code 12"],
    ]);
    expect(nodeOf(s, "b").status).toBe("blocked");
    expect(s.nodes.map((n) => n.id).sort()).toEqual(["a", "b"]);
  });

  it("attempts lost to an interrupt do not use up the task's retries", async () => {
    const sb = scratch();
    const file = sb.write({
      "w/workflow.json": workflow("budget", [
        { id: "a", run: "a.py", retries: 1, retry_delay: 0.05 },
      ]),
      // Attempt 1 hangs until orch is interrupted; attempt 2 fails; attempt 3 succeeds.
      "w/a.py": `import os, time
from orch import task
if task.attempt == 1:
    open("started", "w").close()
    time.sleep(30)
if task.attempt == 2:
    raise SystemExit(5)
task.output(attempt=task.attempt)
`,
    });
    const started = Date.now();
    const child = sb.spawn("start", file, "--run-id", "r1");
    expect(await waitFor(() => existsSync(join(sb.dir, "w/started")), 15_000)).toBe(true);
    child.kill("SIGINT");
    expect((await finish(child, started)).exitCode).toBe(130);
    const resumed = await sb.orch("resume", "r1");
    expectNoCrash(resumed);
    const a = nodeOf(await status(sb, "r1"), "a");
    expect(
      a.history.map((h) => h.status),
      "1 lost to Ctrl-C, 1 failure, then the 1 retry it is owed",
    ).toEqual(["lost", "failed", "succeeded"]);
    expect(resumed.exitCode).toBe(0);
  });

  it("applies workflow `defaults` to nodes that do not set a policy, dynamic ones included", async () => {
    const sb = scratch();
    const file = sb.write({
      "w/workflow.json": workflow(
        "defaults",
        [
          { id: "a", run: "flaky.py", args: ["2"] },
          { id: "c", run: "flaky.py", args: ["1"], retries: 0 },
          { id: "d", run: "spawner.py" },
        ],
        { defaults: { retries: 2, retry_delay: 0.05 } },
      ),
      "w/flaky.py": FLAKY,
      "w/leaf.py": LEAF,
      "w/spawner.py": 'from orch import task\ntask.add_node("dyn", run="flaky.py", args=["2"])\n',
    });
    const result = await sb.orch("start", file, "--run-id", "r1");
    expect(result.exitCode).toBe(1);
    expectNoCrash(result);
    const s = await status(sb, "r1");
    expect([nodeOf(s, "a").status, nodeOf(s, "a").attempts]).toEqual(["succeeded", 3]);
    expect([nodeOf(s, "c").status, nodeOf(s, "c").attempts]).toEqual(["failed", 1]);
    expect([nodeOf(s, "dyn").status, nodeOf(s, "dyn").attempts]).toEqual(["succeeded", 3]);
  });
});

describe("timeouts", () => {
  /**
   * Starts a `sleep 30` child, writes "TASK_PID CHILD_PID" to `pids`, then sleeps
   * 10 s. The timeout (5 s) leaves a loaded machine time to start Python first.
   */
  const SLEEPER = `import os, signal, subprocess, sys, time
from orch import task
if "--ignore-term" in sys.argv:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # inherited by the child: it ignores SIGTERM too
if task.attempt == 1 or "--always" in sys.argv:
    child = subprocess.Popen(["sleep", "30"])
    with open("pids.tmp", "w") as f:
        f.write(f"{os.getpid()} {child.pid}\\n")
    os.replace("pids.tmp", f"pids-{task.attempt}")
    time.sleep(10)
task.output(attempt=task.attempt)
`;

  it("kills a task and its child when it overruns `timeout`", async () => {
    const sb = scratch();
    const file = sb.write({
      "w/workflow.json": workflow("timeout", [
        { id: "a", run: "sleeper.py", args: ["--always"], timeout: 5 },
      ]),
      "w/sleeper.py": SLEEPER,
    });
    const run = sb.orch("start", file, "--run-id", "r1");
    const pids = await readPids(join(sb.dir, "w/pids-1"));
    leftovers.push(...pids);
    const result = await run;
    expect(result.exitCode).toBe(1);
    expectNoCrash(result);
    for (const pid of pids)
      expect(await waitFor(() => !isAlive(pid), 2_000), `pid ${pid} is gone`).toBe(true);
    const a = nodeOf(await status(sb, "r1"), "a");
    expect(a.status).toBe("failed");
    expect(a.reason).toMatch(/timed out after 5s/);
    expect(a.history[0]!.reason).toMatch(/timed out/);
  });

  it("SIGKILLs a task that ignores SIGTERM once --kill-grace has passed", async () => {
    const sb = scratch();
    const file = sb.write({
      "w/workflow.json": workflow("timeout", [
        { id: "a", run: "sleeper.py", args: ["--always", "--ignore-term"], timeout: 5 },
      ]),
      "w/sleeper.py": SLEEPER,
    });
    const run = sb.orch("start", file, "--run-id", "r1", "--kill-grace", "0.5");
    const pids = await readPids(join(sb.dir, "w/pids-1"));
    leftovers.push(...pids);
    const result = await run;
    expect(result.exitCode).toBe(1);
    expectNoCrash(result);
    for (const pid of pids)
      expect(await waitFor(() => !isAlive(pid), 2_000), `pid ${pid} is gone`).toBe(true);
    const a = nodeOf(await status(sb, "r1"), "a");
    expect(a.status).toBe("failed");
    expect(a.reason).toMatch(/timed out/);
    expect(a.history[0]!.signal).toBe("SIGKILL");
  });

  it("retries a timed-out attempt", async () => {
    const sb = scratch();
    const file = sb.write({
      "w/workflow.json": workflow("timeout", [
        { id: "a", run: "sleeper.py", timeout: 5, retries: 1, retry_delay: 0.05 },
      ]),
      "w/sleeper.py": SLEEPER,
    });
    const run = sb.orch("start", file, "--run-id", "r1");
    leftovers.push(...(await readPids(join(sb.dir, "w/pids-1"))));
    const result = await run;
    expect(result.exitCode).toBe(0);
    const a = nodeOf(await status(sb, "r1"), "a");
    expect(a.history.map((h) => h.status)).toEqual(["failed", "succeeded"]);
    expect(a.history[0]!.reason).toMatch(/timed out after 5s/);
  });
});
