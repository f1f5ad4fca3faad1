import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout } from "node:timers/promises";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { fixture, StatusSchema, sandbox } from "./helpers.js";

type Orch = ReturnType<typeof sandbox>["orch"];

const nodesOf = async (orch: Orch, run: string) => {
  const status = StatusSchema.parse(JSON.parse((await orch("status", run, "--json")).stdout));
  return new Map(status.nodes.map((n) => [n.id, n]));
};

/** A map whose width is read from the file `width` each time `A` runs. */
const mapWorkflow = {
  "workflow.json": JSON.stringify({
    name: "width",
    nodes: [
      { id: "A", run: "a.py" },
      { id: "B", run: "b.py" },
    ],
    edges: [{ from: "A", to: "B" }],
    promises: [
      {
        scope: "A",
        shape: {
          one_of: [
            {
              nodes: [{ id: "M-*", run: "m.py", count: "*" }],
              edges: [
                { from: "A", to: "M-*" },
                { from: "M-*", to: "B" },
              ],
            },
          ],
        },
      },
    ],
  }),
  "a.py": [
    "from orch import task",
    "width = int(open('width').read())",
    "for i in range(1, width + 1):",
    "    task.add_node(f'M-{i}', 'm.py')",
    "    task.add_edge('A', f'M-{i}')",
    "    task.add_edge(f'M-{i}', 'B')",
    "task.output(width=width)",
    "",
  ].join("\n"),
  "m.py": "from orch import task\ntask.output(n=task.node_id)\n",
  "b.py": "from orch import task\n",
};

describe("orch restart", () => {
  it("runs a failed node and its downstream again once fixed, not the upstream", async () => {
    const { orch, dir } = sandbox();
    // The fixture's task looks for its file there; the CLI inherits this environment.
    process.env.ORCH_RESTART_DIR = dir;
    const failed = await orch("start", fixture("restart"), "--run-id", "r-1");
    expect(failed.exitCode).toBe(1);
    writeFileSync(join(dir, "fixed.flag"), "");
    const restarted = await orch("restart", "r-1", "check");
    expect(restarted.exitCode).toBe(0);
    const nodes = await nodesOf(orch, "r-1");
    expect(nodes.get("fetch")!.attempts).toBe(1);
    expect(nodes.get("check")!.attempts).toBe(2);
    expect(nodes.get("publish")!.status).toBe("succeeded");
    const status = await orch("status", "r-1");
    expect(status.stdout).toContain("attempt 1 failed");
    const unknown = await orch("restart", "r-1", "nope");
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain("no node nope");
  });

  it("takes back what a succeeded map node added; its new attempt chooses another width", async () => {
    const { orch, write, dir, db } = sandbox();
    const workflow = write(mapWorkflow);
    writeFileSync(join(dir, "width"), "3");
    expect((await orch("start", workflow, "--run-id", "m-1")).exitCode).toBe(0);
    expect([...(await nodesOf(orch, "m-1")).keys()]).toEqual(["A", "B", "M-1", "M-2", "M-3"]);
    const before = new Database(db, { readonly: true });
    const lastSeq = z
      .number()
      .parse(before.prepare("SELECT MAX(seq) FROM events WHERE run_id = 'm-1'").pluck().get());
    before.close();

    writeFileSync(join(dir, "width"), "1");
    const restarted = await orch("restart", "m-1", "A");
    expect(restarted.stderr).toBe("");
    expect(restarted.exitCode).toBe(0);
    const nodes = await nodesOf(orch, "m-1");
    expect([...nodes.keys()].sort()).toEqual(["A", "B", "M-1"]);
    expect(nodes.get("A")!.attempts).toBe(2);
    expect(nodes.get("M-1")!.attempts).toBe(1);
    expect(nodes.get("B")!.attempts).toBe(2);

    const out = join(dir, "before.json");
    expect((await orch("graph", "m-1", "--out", out, "--at", String(lastSeq))).exitCode).toBe(0);
    const drawn = readFileSync(out, "utf8");
    expect(drawn).toContain("M-3");
    const now = join(dir, "now.json");
    expect((await orch("graph", "m-1", "--out", now)).exitCode).toBe(0);
    expect(readFileSync(now, "utf8")).not.toContain('"M-3"');
  });

  it("on a run orch start executes, the executing process stops what it reaches and carries it out", async () => {
    const { orch, spawnOrch, write, dir, db } = sandbox();
    const workflow = write({
      ...mapWorkflow,
      "workflow.json": JSON.stringify({
        ...JSON.parse(mapWorkflow["workflow.json"]),
        name: "live",
        parallel: 2,
        nodes: [
          { id: "A", run: "a.py" },
          { id: "B", run: "b.py" },
          { id: "U", run: "b.py" },
        ],
      }),
      // B and U run until the file named after them and their attempt exists.
      "b.py": [
        "import os, time",
        "from orch import task",
        "flag = f'{task.node_id}-{task.attempt}.go'",
        "while not os.path.exists(flag):",
        "    time.sleep(0.05)",
        "",
      ].join("\n"),
    });
    writeFileSync(join(dir, "width"), "3");
    const start = spawnOrch("start", workflow, "--run-id", "live-1");
    for (;;) {
      const nodes = await nodesOf(orch, "live-1").catch(() => null);
      if (nodes?.get("B")?.status === "running" && nodes.get("U")?.status === "running") break;
      await setTimeout(100);
    }
    writeFileSync(join(dir, "width"), "1");
    const restarted = await orch("restart", "live-1", "A");
    expect(restarted.stderr).toBe("");
    expect(restarted.exitCode).toBe(0);
    expect(restarted.stdout).toContain("restarted at A");

    const refused = await orch("restart", "live-1", "nope");
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain("no node nope");

    writeFileSync(join(dir, "B-2.go"), "");
    writeFileSync(join(dir, "U-1.go"), "");
    const ended = await start;
    expect(ended.stderr).toBe("");
    expect(ended.exitCode).toBe(0);
    const nodes = await nodesOf(orch, "live-1");
    expect([...nodes.keys()].sort()).toEqual(["A", "B", "M-1", "U"]);
    expect(nodes.get("A")!.attempts).toBe(2);
    // B was stopped by the restart and ran again; U, which the restart does not reach, ran once.
    expect(nodes.get("B")!.attempts).toBe(2);
    expect(nodes.get("U")!.attempts).toBe(1);
    const history = z
      .array(z.object({ attempt: z.number(), status: z.string() }))
      .parse(
        JSON.parse((await orch("status", "live-1", "--json")).stdout).nodes.find(
          (n: { id: string }) => n.id === "B",
        ).history,
      );
    expect(history.map((h) => h.status)).toEqual(["cancelled", "succeeded"]);
    const store = new Database(db, { readonly: true });
    const types = store
      .prepare(
        "SELECT type FROM events WHERE run_id = 'live-1' AND type IN ('command', 'nodes_reset') ORDER BY seq",
      )
      .pluck()
      .all();
    store.close();
    expect(types).toEqual(["command", "nodes_reset"]);
  });
});
