import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { pyTask, StatusSchema, sandbox, until } from "./helpers.js";

type Orch = ReturnType<typeof sandbox>["orch"];

const NodeSchema = StatusSchema.shape.nodes.element.extend({
  trigger: z.string().nullable(),
  outputs: z.record(z.string(), z.unknown()).nullable(),
  history: z.array(z.object({ attempt: z.number(), status: z.string() })),
});
const CompensationStatusSchema = StatusSchema.extend({ nodes: z.array(NodeSchema) });

const statusOf = async (orch: Orch, run: string) => {
  const result = await orch("status", run, "--json");
  expect(result.exitCode, result.stderr).toBe(0);
  const status = CompensationStatusSchema.parse(JSON.parse(result.stdout));
  const node = (id: string) => {
    const found = status.nodes.find((n) => n.id === id);
    if (found === undefined) throw new Error(`run ${run} has no node ${id}`);
    return found;
  };
  return { ...status, node };
};

const historyOf = (node: { history: readonly { status: string }[] }) =>
  node.history.map((h) => h.status);

/**
 * An order saga whose `ship` fails until `shipped.flag` exists; `refund` undoes the
 * charge when it failed, `notify` reports whatever happened. `notify` runs until
 * the file named after its attempt exists when `gated` is set, so a run can be
 * caught while it still executes.
 */
const sagaFiles = (gated: boolean): Record<string, string> => ({
  "saga.json": JSON.stringify({
    name: "saga-restart",
    nodes: [
      { id: "charge", run: "charge.py" },
      { id: "ship", run: "ship.py", depends_on: ["charge"] },
      { id: "refund", run: "refund.py", depends_on: ["ship"], trigger: "any_failed" },
      { id: "notify", run: "notify.py", depends_on: ["refund", "ship"], trigger: "all_done" },
    ],
  }),
  "charge.py": pyTask('task.output(charge_id="ch-42")'),
  "ship.py": pyTask(
    [
      "import os",
      'if not os.path.exists("shipped.flag"):',
      "    raise SystemExit(1)",
      'task.output(tracking="TRK-42")',
    ].join("\n"),
  ),
  "refund.py": pyTask("task.output(because=task.upstream)"),
  "notify.py": pyTask(
    [
      "import os, time",
      ...(gated
        ? ['while not os.path.exists(f"notify-{task.attempt}.go"):', "    time.sleep(0.05)"]
        : []),
      'task.output(outcome={id: up["status"] for id, up in task.upstream.items()})',
    ].join("\n"),
  ),
});

/** What the run looks like once the restarted ship has succeeded: refund judged again. */
const expectJudgedAgain = async (orch: Orch, run: string) => {
  const s = await statusOf(orch, run);
  expect(s.run.status).toBe("succeeded");
  expect(s.node("charge").attempts).toBe(1);
  expect(historyOf(s.node("ship"))).toEqual(["failed", "succeeded"]);
  const refund = s.node("refund");
  expect(refund.status).toBe("skipped");
  expect(refund.reason).toBe("trigger any_failed: no upstream node failed");
  // Its outputs were taken back with the reset; its attempt stays in the history.
  expect(refund.outputs).toBeNull();
  expect(refund.attempts).toBe(1);
  expect(historyOf(refund)).toEqual(["succeeded"]);
  const notify = s.node("notify");
  expect(notify.status).toBe("succeeded");
  expect(notify.outputs).toEqual({ outcome: { refund: "skipped", ship: "succeeded" } });
  return s;
};

describe("compensation and restart", () => {
  it("a restart judges the compensation again: once ship succeeds, refund is skipped and notify runs again", async () => {
    const { orch, write, dir } = sandbox();
    const workflow = write(sagaFiles(false));
    const failed = await orch("start", workflow, "--run-id", "s-1");
    expect(failed.exitCode, failed.stderr).toBe(1);
    const before = await statusOf(orch, "s-1");
    expect(before.node("refund").status).toBe("succeeded");
    expect(before.node("refund").outputs).toEqual({
      because: { ship: { status: "failed", reason: "exited with code 1" } },
    });
    expect(before.node("notify").outputs).toEqual({
      outcome: { refund: "succeeded", ship: "failed" },
    });

    writeFileSync(join(dir, "shipped.flag"), "");
    const restarted = await orch("restart", "s-1", "ship");
    expect(restarted.stderr).toBe("");
    expect(restarted.exitCode).toBe(0);
    expect(restarted.stdout).toMatch(
      /skipped\s+refund — trigger any_failed: no upstream node failed$/m,
    );
    const after = await expectJudgedAgain(orch, "s-1");
    const table = (await orch("status", "s-1")).stdout;
    expect(table).toMatch(/^refund\s+skipped\s+1\s+.*\n\s+attempt 1 succeeded$/m);
    expect(historyOf(after.node("notify"))).toEqual(["succeeded", "succeeded"]);
  });

  it("a restart given while orch start executes the run judges the compensation again in that process", async () => {
    const { orch, spawnOrch, write, dir } = sandbox();
    const workflow = write(sagaFiles(true));
    const start = spawnOrch("start", workflow, "--run-id", "s-live");
    await until(async () => {
      const s = await statusOf(orch, "s-live").catch(() => null);
      return s?.node("refund").status === "succeeded" && s.node("notify").status === "running";
    });
    writeFileSync(join(dir, "shipped.flag"), "");
    const restarted = await orch("restart", "s-live", "ship");
    expect(restarted.stderr).toBe("");
    expect(restarted.exitCode).toBe(0);
    expect(restarted.stdout).toContain("restarted at ship");

    writeFileSync(join(dir, "notify-2.go"), "");
    const ended = await start;
    expect(ended.stderr).toBe("");
    expect(ended.exitCode).toBe(0);
    expect(ended.stdout).toMatch(
      /skipped\s+refund — trigger any_failed: no upstream node failed$/m,
    );
    const after = await expectJudgedAgain(orch, "s-live");
    // notify was running when the restart reached it: stopped, then run again.
    expect(historyOf(after.node("notify"))).toEqual(["cancelled", "succeeded"]);
  });
});

/**
 * `order` adds, at runtime, a compensation for `ship` running `script`; its promise
 * (in the file) allows only `refund` running refund.py, wired from `ship`.
 */
const runtimeCompensation = (script: string): Record<string, string> => ({
  "order.json": JSON.stringify({
    name: "runtime-compensation",
    params: { fail_ship: { schema: { type: "boolean" }, default: true } },
    nodes: [
      { id: "order", run: "order.py" },
      { id: "ship", run: "ship.py", depends_on: ["order"] },
    ],
    promises: [
      {
        scope: "order",
        nodes: { ids: ["refund"], run: ["refund.py"], max: 1 },
        edges: [{ from: "ship", to: "$new" }],
      },
    ],
  }),
  "order.py": pyTask(
    `task.add_node("refund", ${JSON.stringify(script)}, depends_on=["ship"], trigger="any_failed")`,
  ),
  "ship.py": pyTask('if task.run_params["fail_ship"]:\n    raise SystemExit(4)'),
  "refund.py": pyTask("task.output(because=task.upstream)"),
  "cancel.py": pyTask("task.output(cancelled=True)"),
});

describe("a compensation added at runtime", () => {
  it("is allowed by a promise naming its script, and runs with task.upstream when the guarded step fails", async () => {
    const { orch, write } = sandbox();
    const workflow = write(runtimeCompensation("refund.py"));
    const result = await orch("start", workflow, "--run-id", "rc-1");
    expect(result.exitCode, result.stderr).toBe(1);
    const s = await statusOf(orch, "rc-1");
    expect(s.run.status).toBe("failed");
    expect(s.node("ship").status).toBe("failed");
    const refund = s.node("refund");
    expect(refund.created_by).toBe("order");
    expect(refund.trigger).toBe("any_failed");
    expect(refund.status).toBe("succeeded");
    expect(refund.outputs).toEqual({
      because: { ship: { status: "failed", reason: "exited with code 4" } },
    });

    const fine = await orch("start", workflow, "--run-id", "rc-2", "--param", "fail_ship=false");
    expect(fine.exitCode, fine.stderr).toBe(0);
    const skipped = (await statusOf(orch, "rc-2")).node("refund");
    expect(skipped.status).toBe("skipped");
    expect(skipped.attempts).toBe(0);
  });

  it("breaks the promise when it runs another script: the run is terminated, naming the promise and the mutation", async () => {
    const { orch, write } = sandbox();
    const workflow = write(runtimeCompensation("cancel.py"));
    const result = await orch("start", workflow, "--run-id", "rc-3");
    expect(result.exitCode).toBe(3);
    const s = await statusOf(orch, "rc-3");
    expect(s.run.status).toBe("terminated");
    // The file is named as orch start was given it, relative to where it ran.
    expect(s.run.reason).toMatch(/^promise #0 \(\S*\/order\.json promises\[0\], scope order\) /);
    expect(s.run.reason).toContain(
      "rule nodes.run broken by order added node refund (run cancel.py): scripts must be one of [refund.py], cancel.py is not",
    );
    expect(result.stdout + result.stderr).toContain("added node refund (run cancel.py)");
    // The mutation was not applied: no compensation exists, and ship never ran.
    expect(s.nodes.map((n) => n.id)).toEqual(["order", "ship"]);
    expect(s.node("ship").attempts).toBe(0);
  });
});
