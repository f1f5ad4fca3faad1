import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { statusDocument, statusJson } from "../../src/cli/commands/status.js";
import { printJson, printJsonText } from "../../src/cli/context.js";
import { Store } from "../../src/store/store.js";
import { MAIN, pyTask, sandbox, status } from "./helpers.js";

const at = "2026-01-01T00:00:00.000Z";

/** A run r1: a -> b (b created by a), a retried once and then succeeded with outputs. */
const storeWithRun = (): Store => {
  const store = Store.open(join(mkdtempSync(join(tmpdir(), "orch-status-")), "orch.db"));
  store.runs.insertRun({ id: "r1", workflow: "/w.json", name: "w", at });
  store.history.append("r1", at, [
    { type: "node_added", id: "a", run: "a.py", args: [], params: {}, created_by: null },
    { type: "node_added", id: "b", run: "b.py", args: [], params: {}, created_by: "a" },
    { type: "edge_added", from: "a", to: "b", created_by: "a" },
    { type: "node_status", id: "a", status: "running", attempt: 1, reason: null },
  ]);
  const attempt = (
    n: number,
    started: string,
    ended: string,
    exit: number,
    reason: string | null,
  ) => {
    store.history.append("r1", started, [
      {
        type: "attempt_started",
        id: "a",
        attempt: n,
        executor: "local",
        handle: String(100 + n),
        log: `/logs/a.${n}.log`,
      },
    ]);
    store.history.append("r1", ended, [
      {
        type: "attempt_ended",
        id: "a",
        attempt: n,
        status: exit === 0 ? "succeeded" : "failed",
        exit_code: exit,
        signal: null,
        reason,
      },
    ]);
  };
  attempt(1, "2026-01-01T00:00:01.000Z", "2026-01-01T00:00:02.000Z", 1, "exit 1");
  attempt(2, "2026-01-01T00:00:03.000Z", "2026-01-01T00:00:04.000Z", 0, null);
  store.history.append("r1", at, [
    { type: "output", id: "a", values: { n: 2, big: 0.1, list: ["x"] } },
    { type: "node_status", id: "a", status: "succeeded", attempt: 2, reason: null },
  ]);
  return store;
};

describe("orch status --json", () => {
  it("lists every node with its attempts and outputs, and every edge, in creation order", () => {
    const store = storeWithRun();
    const doc = statusDocument(store, "r1");
    store.close();
    expect(doc.run).toMatchObject({ id: "r1", workflow: "/w.json", status: "running" });
    expect(doc.nodes.map((n) => [n.id, n.status, n.created_by, n.attempts])).toEqual([
      ["a", "succeeded", null, 2],
      ["b", "pending", "a", 0],
    ]);
    expect(doc.nodes[0]!.outputs).toEqual({ n: 2, big: 0.1, list: ["x"] });
    expect(doc.nodes[1]!.outputs).toBeNull();
    expect(doc.nodes[0]!.history).toEqual([
      {
        attempt: 1,
        status: "failed",
        started_at: "2026-01-01T00:00:01.000Z",
        finished_at: "2026-01-01T00:00:02.000Z",
        exit_code: 1,
        signal: null,
        reason: "exit 1",
        log: "/logs/a.1.log",
      },
      expect.objectContaining({ attempt: 2, status: "succeeded", exit_code: 0 }),
    ]);
    expect(doc.nodes[1]!.history).toEqual([]);
    expect(doc.edges).toEqual([
      { from: "a", to: "b", created_by: "a", provisional: false, loop: false, max: null },
    ]);
  });

  it("shows what a running task has added as provisional, until its commit or discard", () => {
    const stageX = (store: Store) =>
      store.history.stage("r1", { node: "b", attempt: 1 }, [
        { type: "node_added", id: "x", run: "x.py", args: [], params: {}, created_by: "b" },
        { type: "edge_added", from: "b", to: "x", created_by: "b" },
      ]);
    const provisional = (doc: ReturnType<typeof statusDocument>) => [
      ...doc.nodes.map((n) => [n.id, n.provisional]),
      ...doc.edges.map((e) => [`${e.from}->${e.to}`, e.provisional]),
    ];
    const store = storeWithRun();
    stageX(store);
    const staged = statusDocument(store, "r1");
    store.history.discardStaged("r1", { node: "b", attempt: 1 });
    const discarded = statusDocument(store, "r1");
    stageX(store);
    store.history.commitStaged("r1", { node: "b", attempt: 1 }, at, [
      ...store.history.readProvisional("r1"),
      { type: "node_status", id: "b", status: "succeeded", attempt: 1, reason: null },
    ]);
    const committed = statusDocument(store, "r1");
    store.close();
    expect(provisional(staged)).toEqual([
      ["a", false],
      ["b", false],
      ["x", true],
      ["a->b", false],
      ["b->x", true],
    ]);
    expect(provisional(discarded)).toEqual([
      ["a", false],
      ["b", false],
      ["a->b", false],
    ]);
    expect(provisional(committed)).toEqual([
      ["a", false],
      ["b", false],
      ["x", false],
      ["a->b", false],
      ["b->x", false],
    ]);
  });

  it("shows a live run's provisional nodes and edges, in --json and in the table", async () => {
    const sb = sandbox();
    const go = join(sb.dir, "go");
    const file = sb.write({
      "w/workflow.json": JSON.stringify({ name: "live", nodes: [{ id: "a", run: "a.py" }] }),
      "w/a.py": pyTask(
        [
          "import os, time",
          'if task.node_id == "a":',
          '    task.add_node("b", run="a.py")',
          '    task.add_edge("a", "b")',
          "    for _ in range(600):",
          `        if os.path.exists(${JSON.stringify(go)}):`,
          "            break",
          "        time.sleep(0.05)",
        ].join("\n"),
      ),
    });
    const live = sb.spawnOrch("start", file, "--run-id", "l");
    let seen = null;
    for (let i = 0; i < 100 && seen === null; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const doc = await status(sb.orch, "l").catch(() => null);
      if (doc?.nodes.some((n) => n.id === "b")) seen = doc;
    }
    const table = await sb.orch("status", "l");
    writeFileSync(go, "");
    expect((await live).exitCode).toBe(0);
    const after = await status(sb.orch, "l");
    expect(seen?.nodes.map((n) => [n.id, n.status, n.provisional])).toEqual([
      ["a", "running", false],
      ["b", "pending", true],
    ]);
    expect(seen?.edges).toEqual([{ from: "a", to: "b", created_by: "a", provisional: true }]);
    expect(table.stdout).toMatch(/^b +pending +0 +a +\(provisional until a succeeds\)$/m);
    expect(after.nodes.map((n) => [n.id, n.status, n.provisional])).toEqual([
      ["a", "succeeded", false],
      ["b", "succeeded", false],
    ]);
  });

  it("prints as --json the very document the table is drawn from", () => {
    const store = storeWithRun();
    const text = statusJson(store, "r1");
    expect(JSON.parse(text)).toEqual(statusDocument(store, "r1"));
    store.close();
  });

  it("refuses a row that breaks the schema rather than printing it", () => {
    const store = storeWithRun();
    store.db.prepare("UPDATE nodes SET status = 'exploded' WHERE id = 'b'").run();
    expect(() => statusJson(store, "r1")).toThrow(
      /nodes b, column n\.status holds "exploded"; expected one of pending, /,
    );
    expect(() => statusDocument(store, "r1")).toThrow(/exploded/);
    store.db.prepare("UPDATE nodes SET status = 'pending' WHERE id = 'b'").run();
    store.db.prepare("UPDATE attempts SET exit_code = 'one' WHERE attempt = 1").run();
    expect(() => statusJson(store, "r1")).toThrow(
      /attempts a attempt 1, column a\.exit_code holds "one"; expected an integer or null/,
    );
    store.close();
  });

  it("prints indented JSON on a terminal and one compact line otherwise", () => {
    const written: string[] = [];
    const stream = (isTTY: boolean) =>
      ({ isTTY, write: (s: string) => written.push(s) }) as unknown as NodeJS.WriteStream;
    printJson({ a: [1] }, stream(true));
    printJson({ a: [1] }, stream(false));
    // Text SQLite already wrote as JSON: re-indented for a terminal, passed through otherwise.
    printJsonText('{"a":[1]}', stream(true));
    printJsonText('{"a":[1]}', stream(false));
    expect(written).toEqual([
      '{\n  "a": [\n    1\n  ]\n}\n',
      '{"a":[1]}\n',
      '{\n  "a": [\n    1\n  ]\n}\n',
      '{"a":[1]}\n',
    ]);
  });

  it("stops quietly when its reader closes the pipe early (`| head`)", async () => {
    const store = storeWithRun();
    store.history.append(
      "r1",
      at,
      Array.from({ length: 3000 }, (_, i) => ({
        type: "node_added" as const,
        id: `n-${i}`,
        run: "n.py",
        args: [],
        params: {},
        created_by: "a",
      })),
    );
    const db = store.db.name;
    store.close();
    const child = spawn("node", [MAIN, "status", "r1", "--json", "--db", db]);
    let stderr = "";
    let firstChunk = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.once("data", (chunk: Buffer) => {
      firstChunk = chunk.toString();
      child.stdout.destroy();
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(firstChunk).toMatch(/^\{"run":\{"id":"r1"/);
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });
});
