import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout } from "node:timers/promises";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { fixture, StatusSchema, sandbox } from "./helpers.js";

type Orch = ReturnType<typeof sandbox>["orch"];

const ControlStatusSchema = StatusSchema.extend({
  nodes: z.array(
    z.object({
      id: z.string(),
      status: z.string(),
      attempts: z.number(),
      ask: z.unknown(),
      history: z.array(z.object({ attempt: z.number(), status: z.string() })),
    }),
  ),
});
type ControlStatus = z.infer<typeof ControlStatusSchema>;

const statusOf = async (orch: Orch, run: string): Promise<ControlStatus | null> => {
  const result = await orch("status", run, "--json");
  return result.exitCode === 0 ? ControlStatusSchema.parse(JSON.parse(result.stdout)) : null;
};

/** Poll `orch status` until `ready` holds (no time limit: the test runner's own applies). */
const waitFor = async (
  orch: Orch,
  run: string,
  ready: (status: ControlStatus) => boolean,
): Promise<ControlStatus> => {
  for (;;) {
    const status = await statusOf(orch, run);
    if (status !== null && ready(status)) return status;
    await setTimeout(100);
  }
};

const nodeOf = (status: ControlStatus, id: string) => status.nodes.find((n) => n.id === id)!;

/** Live processes started for `node` of run `run` (found by the environment orch gives tasks). */
const taskProcesses = (run: string, node: string): number[] =>
  readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        const vars = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
        return vars.includes(`ORCH_RUN_ID=${run}`) && vars.includes(`ORCH_NODE_ID=${node}`);
      } catch {
        return false;
      }
    })
    .map(Number);

const slowWorkflow = {
  "workflow.json": JSON.stringify({
    name: "slow",
    nodes: [
      { id: "a", run: "slow.py", params: { until: "go" } },
      { id: "b", run: "slow.py", params: {} },
    ],
    edges: [{ from: "a", to: "b" }],
  }),
  // Waits until the file its `until` param names exists, when it names one.
  "slow.py": [
    "import os, time",
    "from orch import task",
    "while 'until' in task.params and not os.path.exists(task.params['until']):",
    "    time.sleep(0.05)",
    "",
  ].join("\n"),
};

/** The commands in the run's event history, in order, with their times. */
const commandsIn = (db: string, run: string): { command: string; at: string }[] => {
  const store = new Database(db, { readonly: true });
  try {
    return store
      .prepare("SELECT at, payload FROM events WHERE run_id = ? AND type = 'command' ORDER BY seq")
      .all(run)
      .map((row) => {
        const { at, payload } = z.object({ at: z.string(), payload: z.string() }).parse(row);
        return {
          at,
          command: z.object({ command: z.string() }).parse(JSON.parse(payload)).command,
        };
      });
  } finally {
    store.close();
  }
};

describe("run control through the CLI", () => {
  it("a task that asks waits with no process; a wrong answer is refused, a right one carries on", async () => {
    const { orch, spawnOrch, db } = sandbox();
    const start = spawnOrch("start", fixture("approval"), "--run-id", "ask-1");
    const waiting = await waitFor(orch, "ask-1", (s) => nodeOf(s, "approve").status === "waiting");
    expect(nodeOf(waiting, "approve").ask).toMatchObject({
      prompt: "Deploy 3 files to prod?",
      schema: { properties: { ok: { type: "boolean" } } },
    });
    expect(taskProcesses("ask-1", "approve")).toEqual([]);
    const table = await orch("status", "ask-1");
    expect(table.stdout).toContain("asks: Deploy 3 files to prod?");
    expect(table.stdout).toContain("orch answer ask-1 approve --json");

    const wrong = await orch("answer", "ask-1", "approve", "--json", '{"ok": "yes"}');
    expect(wrong.exitCode).toBe(2);
    expect(wrong.stderr).toContain("/ok");
    expect(wrong.stderr).toContain("boolean");

    const right = await orch("answer", "ask-1", "approve", "--json", '{"ok": true}');
    expect(right.exitCode).toBe(0);
    const ended = await start;
    expect(ended.exitCode).toBe(0);
    const done = await statusOf(orch, "ask-1");
    expect(nodeOf(done!, "approve").history.map((a) => a.status)).toEqual(["waiting", "succeeded"]);
    const logs = await orch("logs", "ask-1", "approve");
    expect(logs.stdout).toContain("deploying 3 files to prod");
    const again = await orch("answer", "ask-1", "approve", "--json", '{"ok": true}');
    expect(again.exitCode).toBe(2);
    expect(commandsIn(db, "ask-1").map((c) => c.command)).toEqual(["answer"]);
  });

  it("an answer given after Ctrl-C is recorded, and orch resume carries on with it", async () => {
    const { orch, spawnOrch } = sandbox();
    const start = spawnOrch("start", fixture("approval"), "--run-id", "ask-2");
    await waitFor(orch, "ask-2", (s) => nodeOf(s, "approve").status === "waiting");
    start.kill("SIGINT");
    expect((await start).exitCode).toBe(130);
    const answered = await orch("answer", "ask-2", "approve", "--json", '{"ok": false}');
    expect(answered.exitCode).toBe(0);
    const resumed = await orch("resume", "ask-2");
    expect(resumed.exitCode).toBe(0);
    const logs = await orch("logs", "ask-2", "approve");
    expect(logs.stdout).toContain("not deployed");
  });

  it("pause lets running tasks finish and starts no new one; resume carries on", async () => {
    const { orch, spawnOrch, write, db, dir } = sandbox();
    const workflow = write(slowWorkflow);
    const start = spawnOrch("start", workflow, "--run-id", "p-1");
    await waitFor(orch, "p-1", (s) => nodeOf(s, "a").status === "running");
    const paused = await orch("pause", "p-1");
    expect(paused.exitCode).toBe(0);
    writeFileSync(join(dir, "go"), "");
    const settled = await waitFor(orch, "p-1", (s) => nodeOf(s, "a").status === "succeeded");
    expect(settled.run.status).toBe("paused");
    expect(nodeOf(settled, "b").status).toBe("pending");
    const twice = await orch("pause", "p-1");
    expect(twice.exitCode).toBe(0);
    expect(twice.stdout).toContain("already paused");
    const resumed = await orch("resume", "p-1");
    expect(resumed.exitCode).toBe(0);
    expect((await start).exitCode).toBe(0);
    const given = commandsIn(db, "p-1");
    expect(given.map((c) => c.command)).toEqual(["pause", "pause", "resume"]);
    expect(given.every((c) => !Number.isNaN(Date.parse(c.at)))).toBe(true);
    const refused = await orch("pause", "p-1");
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain("has ended (succeeded)");
  });

  it("cancel stops the running task, leaves no process, and orch start exits 4", async () => {
    const { orch, spawnOrch, write } = sandbox();
    const workflow = write({
      ...slowWorkflow,
      "workflow.json": JSON.stringify({
        name: "long",
        nodes: [
          { id: "a", run: "slow.py", params: { until: "never" } },
          { id: "b", run: "slow.py", params: {} },
        ],
        edges: [{ from: "a", to: "b" }],
      }),
    });
    const start = spawnOrch("start", workflow, "--run-id", "c-1");
    await waitFor(orch, "c-1", (s) => nodeOf(s, "a").history.length === 1);
    const cancelled = await orch("cancel", "c-1");
    expect(cancelled.exitCode).toBe(0);
    expect((await start).exitCode).toBe(4);
    const status = (await statusOf(orch, "c-1"))!;
    expect(status.run.status).toBe("cancelled");
    expect(nodeOf(status, "a").status).toBe("cancelled");
    expect(nodeOf(status, "a").history.map((h) => h.status)).toEqual(["cancelled"]);
    expect(nodeOf(status, "b").status).toBe("cancelled");
    expect(taskProcesses("c-1", "a")).toEqual([]);
    const again = await orch("cancel", "c-1");
    expect(again.exitCode).toBe(2);
  });

  it("with no orch executing the run, pause and cancel change the stored run", async () => {
    const { orch, spawnOrch } = sandbox();
    const start = spawnOrch("start", fixture("approval"), "--run-id", "s-1");
    await waitFor(orch, "s-1", (s) => nodeOf(s, "approve").status === "waiting");
    start.kill("SIGINT");
    await start;
    expect((await orch("pause", "s-1")).exitCode).toBe(0);
    expect((await statusOf(orch, "s-1"))!.run.status).toBe("paused");
    expect((await orch("cancel", "s-1")).exitCode).toBe(0);
    const status = (await statusOf(orch, "s-1"))!;
    expect(status.run.status).toBe("cancelled");
    expect(nodeOf(status, "approve").status).toBe("cancelled");
    const notWaiting = await orch("answer", "s-1", "approve", "--json", "{}");
    expect(notWaiting.exitCode).toBe(2);
  });
});
