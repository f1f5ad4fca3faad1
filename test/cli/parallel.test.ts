import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pyTask, sandbox, status } from "./helpers.js";

/**
 * Each task marks itself running in `running/`, waits until `want` tasks are
 * running at once (a deadlock, and a failed test, if orch never runs that
 * many together), notes how many it saw, and leaves.
 */
const meetTask = (want: number) =>
  pyTask(
    [
      "import os, time",
      'os.makedirs("running", exist_ok=True)',
      'os.makedirs("seen", exist_ok=True)',
      'mine = os.path.join("running", task.node_id)',
      'open(mine, "w").close()',
      `while len(os.listdir("running")) < ${want}:`,
      "    time.sleep(0.02)",
      'with open(os.path.join("seen", task.node_id), "w") as f:',
      '    f.write(str(len(os.listdir("running"))))',
      "time.sleep(0.2)",
      "os.remove(mine)",
    ].join("\n"),
  );

const wide = (n: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    name: "wide",
    ...extra,
    nodes: Array.from({ length: n }, (_, i) => ({ id: `t${i}`, run: "meet.py" })),
  });

/** Nodes a and b, both running `t.py`: `import os, time` and then `lines`. */
const twoTasks = (
  sb: ReturnType<typeof sandbox>,
  extra: Record<string, unknown>,
  lines: string[],
): string =>
  sb.write({
    "w/workflow.json": JSON.stringify({
      name: "two",
      ...extra,
      nodes: [
        { id: "a", run: "t.py" },
        { id: "b", run: "t.py" },
      ],
    }),
    "w/t.py": pyTask(["import os, time", ...lines].join("\n")),
  });

/** Poll `orch status` until `done` holds for it. */
const statusUntil = async (
  sb: ReturnType<typeof sandbox>,
  run: string,
  done: (s: Awaited<ReturnType<typeof status>>) => boolean,
) => {
  for (;;) {
    const s = await status(sb.orch, run).catch(() => null);
    if (s !== null && done(s)) return s;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

const seenCounts = (dir: string): number[] =>
  readdirSync(join(dir, "seen")).map((f) => Number(readFileSync(join(dir, "seen", f), "utf8")));

describe("orch start --parallel", () => {
  it("runs 4 tasks at once with --parallel 4, never more, and says which run", async () => {
    const sb = sandbox();
    const file = sb.write({ "w/workflow.json": wide(8), "w/meet.py": meetTask(4) });
    const result = await sb.orch("start", file, "--run-id", "p4", "--parallel", "4");
    expect(result.exitCode, result.stderr).toBe(0);
    const seen = seenCounts(join(sb.dir, "w"));
    expect(seen).toHaveLength(8);
    expect(Math.max(...seen)).toBe(4);
    expect(result.stdout).toMatch(/running\s+t3\s+\(attempt 1\)\s+\[running 4: t0, t1, t2, t3\]/);
    const s = await status(sb.orch, "p4");
    expect(s.run).toMatchObject({ status: "succeeded", parallel: 4 });
  });

  it('takes the workflow\'s "parallel", and the flag wins over it; resume keeps it', async () => {
    const sb = sandbox();
    const file = sb.write({
      "w/workflow.json": wide(4, { parallel: 2 }),
      "w/meet.py": meetTask(2),
    });
    const fromFile = await sb.orch("start", file, "--run-id", "f2");
    expect(fromFile.exitCode, fromFile.stderr).toBe(0);
    expect(Math.max(...seenCounts(join(sb.dir, "w")))).toBe(2);
    expect((await status(sb.orch, "f2")).run).toMatchObject({ parallel: 2 });

    const flag = sb.write({
      "x/workflow.json": wide(3, { parallel: 1 }),
      "x/meet.py": meetTask(3),
    });
    const fromFlag = await sb.orch("start", flag, "--run-id", "g3", "--parallel", "3");
    expect(fromFlag.exitCode, fromFlag.stderr).toBe(0);
    expect((await status(sb.orch, "g3")).run).toMatchObject({ parallel: 3 });
  });

  it("refuses a --parallel that is not a whole number ≥ 1", async () => {
    const sb = sandbox();
    const file = sb.write({ "w/workflow.json": wide(1), "w/meet.py": meetTask(1) });
    const result = await sb.orch("start", file, "--parallel", "0");
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/--parallel 0: expected a whole number ≥ 1/);
  });

  it("shows a node retrying with its due time while another node runs", async () => {
    const sb = sandbox();
    const file = sb.write({
      "w/workflow.json": JSON.stringify({
        name: "retry",
        nodes: [
          { id: "f", run: "t.py", retries: 1, retry_delay: 2, jitter: 0 },
          { id: "g", run: "t.py" },
        ],
      }),
      "w/t.py": pyTask(
        [
          "import os, sys, time",
          'if task.node_id == "f" and task.attempt == 1:',
          "    sys.exit(1)",
          'if task.node_id == "g":',
          '    while not os.path.exists("go"):',
          "        time.sleep(0.05)",
        ].join("\n"),
      ),
    });
    const live = sb.spawnOrch("start", file, "--run-id", "r", "--parallel", "2");
    const seen = await statusUntil(
      sb,
      "r",
      (s) => s.nodes.find((n) => n.id === "f")?.status === "retrying",
    );
    const table = await sb.orch("status", "r");
    writeFileSync(join(sb.dir, "w/go"), "");
    expect((await live).exitCode).toBe(0);
    const json = JSON.parse((await sb.orch("status", "r", "--json")).stdout) as {
      nodes: { id: string; next_attempt_at: string | null }[];
    };
    expect(seen.nodes.find((n) => n.id === "g")!.status).toBe("running");
    expect(table.stdout).toMatch(/^f\s+retrying\s+1\s+.*next attempt at \d{4}-\d\d-\d\dT/m);
    expect(json.nodes.find((n) => n.id === "f")!.next_attempt_at).toBeNull();
    expect((await status(sb.orch, "r")).nodes.map((n) => [n.id, n.status, n.attempts])).toEqual([
      ["f", "succeeded", 2],
      ["g", "succeeded", 1],
    ]);
  });

  it("terminates the run (exit 3) when two running tasks together exceed nodes.max", async () => {
    const sb = sandbox();
    const file = twoTasks(sb, { promises: [{ scope: "*", nodes: { max: 3 } }] }, [
      'if task.node_id == "a":',
      '    task.add_node("a1", run="t.py")',
      '    task.add_node("a2", run="t.py")',
      '    open("a-added", "w").close()',
      "    time.sleep(100000)",
      'elif task.node_id == "b":',
      '    while not os.path.exists("a-added"):',
      "        time.sleep(0.02)",
      "    time.sleep(0.3)",
      '    task.add_node("b1", run="t.py")',
      '    task.add_node("b2", run="t.py")',
      "    time.sleep(100000)",
    ]);
    const result = await sb.orch("start", file, "--run-id", "m", "--parallel", "2");
    expect(result.exitCode).toBe(3);
    expect(result.stdout).toMatch(/reason: .*nodes\.max/);
    const s = await status(sb.orch, "m");
    expect(s.run.status).toBe("terminated");
    expect(s.run.reason).toMatch(/added node b[12]/);
    expect(s.nodes.map((n) => n.id)).toEqual(["a", "b"]);
    expect(s.nodes.map((n) => n.status).sort()).toEqual(["cancelled", "failed"]);
  });

  it("gives the unknown-node error to a task naming a node another running task added", async () => {
    const sb = sandbox();
    const file = twoTasks(sb, {}, [
      'if task.node_id == "a":',
      '    task.add_node("x", run="t.py")',
      '    open("a-added", "w").close()',
      '    while not os.path.exists("release"):',
      "        time.sleep(0.02)",
      'elif task.node_id == "b":',
      '    while not os.path.exists("a-added"):',
      "        time.sleep(0.02)",
      "    time.sleep(0.3)",
      '    task.add_node("y", run="t.py")',
      '    task.add_edge("x", "y")',
      "    time.sleep(100000)",
    ]);
    const live = sb.spawnOrch("start", file, "--run-id", "c", "--parallel", "2");
    await statusUntil(sb, "c", (s) => s.nodes.find((n) => n.id === "b")?.status === "failed");
    writeFileSync(join(sb.dir, "w/release"), "");
    expect((await live).exitCode).toBe(1);
    const s = await status(sb.orch, "c");
    expect(s.nodes.find((n) => n.id === "b")!.reason).toMatch(/edge x -> y names unknown node x/);
    expect(s.nodes.map((n) => [n.id, n.status])).toEqual([
      ["a", "succeeded"],
      ["b", "failed"],
      ["x", "succeeded"],
    ]);
  });
});
