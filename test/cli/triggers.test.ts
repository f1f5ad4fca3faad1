import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fixture, pyTask, sandbox } from "./helpers.js";

type Sandbox = ReturnType<typeof sandbox>;

interface StatusNode {
  readonly id: string;
  readonly status: string;
  readonly reason: string | null;
  readonly attempts: number;
  readonly trigger: string | null;
  readonly outputs: Record<string, unknown> | null;
}

const statusOf = async (sb: Sandbox, runId: string) => {
  const result = await sb.orch("status", runId, "--json");
  expect(result.exitCode, result.stderr).toBe(0);
  const doc = JSON.parse(result.stdout) as { run: { status: string }; nodes: StatusNode[] };
  return { run: doc.run, node: (id: string) => doc.nodes.find((n) => n.id === id)! };
};

describe("triggers", () => {
  it("runs the compensation when ship fails: refund sees ship failed, notify runs, the run fails", async () => {
    const sb = sandbox();
    const result = await sb.orch(
      "start",
      fixture("saga"),
      "--run-id",
      "bad",
      "--param",
      "fail_ship=true",
    );
    expect(result.exitCode, result.stderr).toBe(1);
    const s = await statusOf(sb, "bad");
    expect(s.run.status).toBe("failed");
    expect(s.node("ship").status).toBe("failed");
    expect(s.node("refund").status).toBe("succeeded");
    expect(s.node("refund").trigger).toBe("any_failed");
    expect(s.node("refund").outputs).toEqual({
      refunded: true,
      because: { ship: { status: "failed", reason: "exited with code 1" } },
    });
    expect(s.node("notify").status).toBe("succeeded");
    expect(s.node("notify").outputs).toEqual({
      outcome: { refund: "succeeded", ship: "failed" },
    });
    expect(s.node("charge").trigger).toBeNull();
    const table = await sb.orch("status", "bad");
    expect(table.stdout).toMatch(/^refund\s+succeeded\s+1\s+-\s+\(trigger: any_failed\)$/m);
    expect(table.stdout).toMatch(/^notify\s+succeeded\s+1\s+-\s+\(trigger: all_done\)$/m);
  });

  it("skips the compensation when everything succeeds, still notifies, and the run succeeds", async () => {
    const sb = sandbox();
    const result = await sb.orch("start", fixture("saga"), "--run-id", "good");
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/skipped\s+refund .*trigger any_failed: no upstream node failed/);
    const s = await statusOf(sb, "good");
    expect(s.run.status).toBe("succeeded");
    expect(s.node("refund").status).toBe("skipped");
    expect(s.node("refund").attempts).toBe(0);
    expect(s.node("notify").outputs).toEqual({
      outcome: { refund: "skipped", ship: "succeeded" },
    });
  });

  it("reports a compensation that fails as failed, and blocks what follows it by default", async () => {
    const sb = sandbox();
    const workflow = sb.write({
      "wf.json": JSON.stringify({
        name: "bad-undo",
        nodes: [
          { id: "work", run: "fail.py" },
          { id: "undo", run: "fail.py", depends_on: ["work"], trigger: "any_failed" },
          { id: "undone", run: "ok.py", depends_on: ["undo"] },
          { id: "all-bad", run: "ok.py", depends_on: ["work", "undo"], trigger: "all_failed" },
        ],
      }),
      "fail.py": pyTask("raise SystemExit(2)"),
      "ok.py": pyTask("task.output(upstream=task.upstream)"),
    });
    const result = await sb.orch("start", workflow, "--run-id", "u");
    expect(result.exitCode).toBe(1);
    const s = await statusOf(sb, "u");
    expect(s.node("undo").status).toBe("failed");
    expect(s.node("undone").status).toBe("blocked");
    expect(s.node("undone").reason).toBe("upstream undo failed");
    expect(s.node("all-bad").status).toBe("succeeded");
    expect(s.node("all-bad").outputs).toEqual({
      upstream: {
        work: { status: "failed", reason: "exited with code 2" },
        undo: { status: "failed", reason: "exited with code 2" },
      },
    });
  });

  it("gives a dynamic node its trigger, judged once its predecessor's retries are spent", async () => {
    const sb = sandbox();
    const workflow = sb.write({
      "wf.json": JSON.stringify({ name: "dyn", nodes: [{ id: "plan", run: "plan.py" }] }),
      "plan.py": pyTask(
        [
          'task.add_node("risky", "risky.py", depends_on=["plan"], retries=1, retry_delay=0)',
          'task.add_node("cleanup", "cleanup.py", depends_on=["risky"], trigger="any_failed")',
        ].join("\n"),
      ),
      "risky.py": pyTask("raise SystemExit(1)"),
      "cleanup.py": pyTask("task.output(upstream=task.upstream)"),
    });
    const result = await sb.orch("start", workflow, "--run-id", "d");
    expect(result.exitCode).toBe(1);
    const s = await statusOf(sb, "d");
    expect(s.node("risky").status).toBe("failed");
    expect(s.node("risky").attempts).toBe(2);
    expect(s.node("cleanup").status).toBe("succeeded");
    expect(s.node("cleanup").trigger).toBe("any_failed");
    expect(s.node("cleanup").outputs).toEqual({
      upstream: { risky: { status: "failed", reason: "exited with code 1" } },
    });
    // The compensation started only after the last attempt of risky had failed.
    expect(result.stdout.indexOf("running    cleanup")).toBeGreaterThan(
      result.stdout.indexOf("failed     risky  (attempt 2"),
    );
  });

  it("refuses an unknown trigger, in the file and in add_node, naming the allowed ones", async () => {
    const sb = sandbox();
    const workflow = sb.write({
      "wf.json": JSON.stringify({
        name: "typo",
        nodes: [{ id: "a", run: "a.py", trigger: "any_faild" }],
      }),
      "a.py": pyTask(""),
    });
    const result = await sb.orch("validate", workflow);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(
      'nodes[0].trigger: unknown trigger "any_faild": did you mean "any_failed"? (allowed: all_succeeded, all_done, any_failed, all_failed)',
    );
    const dynamic = sb.write({
      "dyn.json": JSON.stringify({ name: "dyn", nodes: [{ id: "a", run: "adds.py" }] }),
      "adds.py":
        'print(\'{"type": "add_node", "id": "b", "run": "a.py", "trigger": "one_failed"}\')',
    });
    const run = await sb.orch("start", dynamic, "--run-id", "t");
    expect(run.exitCode).toBe(1);
    const s = await statusOf(sb, "t");
    expect(s.node("a").reason).toContain('unknown trigger "one_failed"');
    expect(s.node("a").reason).toContain(
      "(allowed: all_succeeded, all_done, any_failed, all_failed)",
    );
  });

  it("draws each trigger on its node, with styled incoming edges, before and after the run", async () => {
    const sb = sandbox();
    const draw = async (target: string, name: string) => {
      const out = join(sb.dir, name);
      const result = await sb.orch("graph", target, "--out", out);
      expect(result.exitCode, result.stderr).toBe(0);
      return readFileSync(out, "utf8");
    };
    const edgeStyle = (dot: string, from: string, to: string) =>
      new RegExp(`"${from}" -> "${to}" \\[[^\\]]*style = "?(\\w+)`).exec(dot)?.[1];
    const check = (dot: string) => {
      expect(dot).toContain("trigger: any_failed");
      expect(dot).toContain("trigger: all_done");
      expect(edgeStyle(dot, "ship", "refund")).toBe("dashed");
      expect(edgeStyle(dot, "ship", "notify")).toBe("dotted");
      expect(edgeStyle(dot, "charge", "ship")).toBe("solid");
    };
    const before = await draw(fixture("saga"), "before.dot");
    check(before);
    const pre = JSON.parse(await draw(fixture("saga"), "before.json")) as {
      nodes: { id: string; trigger?: string }[];
      wildcards: unknown[];
    };
    // The compensation is part of the graph the run may become: nothing else may be added.
    expect(pre.wildcards).toEqual([]);
    expect(pre.nodes.map((n) => [n.id, n.trigger])).toEqual([
      ["charge", undefined],
      ["ship", undefined],
      ["refund", "any_failed"],
      ["notify", "all_done"],
    ]);
    expect((await sb.orch("start", fixture("saga"), "--run-id", "g")).exitCode).toBe(0);
    const after = await draw("g", "after.dot");
    check(after);
  });
});
