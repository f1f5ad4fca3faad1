import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { fixture, MAIN, nodeStatus, pyTask, ROOT, sandbox, status } from "./helpers.js";

describe("orch validate", () => {
  it("accepts every example fixture", async () => {
    const { orch } = sandbox();
    for (const name of ["diamond", "dynamic", "failing", "garbage", "static", "branch", "map"]) {
      const result = await orch("validate", fixture(name));
      expect(result.stderr, name).toBe("");
      expect(result.exitCode, name).toBe(0);
      expect(result.stdout).toMatch(/ok/);
    }
  });

  it("lists every problem with its JSON path and exits 2", async () => {
    const { orch, write } = sandbox();
    const file = write({
      "bad/workflow.json": JSON.stringify({
        name: "bad",
        nodes: [
          { id: "a", run: "a.py" },
          { id: "a", run: "a.py" },
          { id: "c", run: "tasks/x.py", depends_on: ["nope"] },
          { id: "bad id", run: "a.py" },
        ],
        edges: [{ from: "a", to: "zz" }],
      }),
      "bad/a.py": "",
    });
    const result = await orch("validate", file);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("nodes[3].id");
    // Zod rejects the bad id first; fix it to see the semantic problems.
    const file2 = write({
      "bad2/workflow.json": JSON.stringify({
        name: "bad",
        nodes: [
          { id: "a", run: "a.py" },
          { id: "a", run: "a.py" },
          { id: "c", run: "tasks/x.py", depends_on: ["nope"] },
        ],
        edges: [{ from: "a", to: "zz" }],
      }),
      "bad2/a.py": "",
    });
    const result2 = await orch("validate", file2);
    expect(result2.exitCode).toBe(2);
    expect(result2.stderr).toContain("nodes[1].id: duplicate node id a");
    expect(result2.stderr).toContain("nodes[2].run: file not found: tasks/x.py");
    expect(result2.stderr).toContain("nodes[2].depends_on[0]: names unknown node nope");
    expect(result2.stderr).toContain("edges[0]: names unknown node zz");
    expect(result2.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it("gives line and column for a file that is not JSON", async () => {
    const { orch, write } = sandbox();
    const file = write({ "w.json": '{\n  "name": "x",\n  "nodes": [,]\n}\n' });
    const result = await orch("validate", file);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/line 3, column \d+: not valid JSON/);
  });

  it.each([
    [
      '{\n  "name": "x",\n  "nodes": [],\n}\n',
      "line 4, column 1: not valid JSON: expected a property name in double quotes",
    ],
    [
      '{\n  // hi\n  "name": "x"\n}',
      "line 2, column 3: not valid JSON: comments are not allowed in JSON",
    ],
    ['{"name": "x\n"}', "line 1, column 10: not valid JSON: unterminated string"],
    ["", "line 1, column 1: not valid JSON: expected a value"],
  ])("says where and what for the broken JSON %j", async (text, message) => {
    const { orch, write } = sandbox();
    const file = write({ "w.json": text });
    const result = await orch("validate", file);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim()).toBe(`orch: ${file}: ${message}`);
  });

  it("refuses a workflow whose edges close a cycle", async () => {
    const { orch, write } = sandbox();
    const file = write({
      "w.json": JSON.stringify({
        name: "cyc",
        nodes: [
          { id: "a", run: "t.py", depends_on: ["b"] },
          { id: "b", run: "t.py", depends_on: ["a"] },
        ],
      }),
      "t.py": "",
    });
    const result = await orch("validate", file);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/closes a cycle/);
  });

  it("names a missing file", async () => {
    const { orch } = sandbox();
    const result = await orch("validate", "no/such/workflow.json");
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("no/such/workflow.json");
  });
});

describe("orch start", () => {
  it("runs the static diamond in dependency order and records everything", async () => {
    const { orch } = sandbox();
    const result = await orch("start", fixture("diamond"), "--run-id", "d1");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("run d1");
    expect(result.stdout).toMatch(/succeeded\s+start\s+\(attempt 1, \d+\.\d+s\)/);
    const s = await status(orch, "d1");
    expect(s.run.status).toBe("succeeded");
    expect(Object.values(nodeStatus(s)).every((st) => st === "succeeded")).toBe(true);
    expect(s.nodes.every((n) => n.created_by === null && n.attempts === 1)).toBe(true);
    const started = Object.fromEntries(s.nodes.map((n) => [n.id, n.started_at!]));
    for (const edge of s.edges) expect(started[edge.from]! < started[edge.to]!).toBe(true);
  });

  it("marks a failed task's descendants blocked, runs independent branches, and exits 1", async () => {
    const { orch } = sandbox();
    const result = await orch("start", fixture("failing"), "--run-id", "f1");
    expect(result.exitCode).toBe(1);
    const s = await status(orch, "f1");
    expect(s.run.status).toBe("failed");
    const st = nodeStatus(s);
    expect(st.b).toBe("failed");
    expect(st.c).toBe("blocked");
    expect(st.d).toBe("succeeded");
    expect(s.nodes.find((n) => n.id === "b")?.reason).toMatch(/exited with code 1/);
    const logs = await orch("logs", "f1", "b");
    expect(logs.exitCode).toBe(0);
    expect(logs.stdout).toMatch(/== b attempt 1 \(failed\) ==/);
  });

  it("lets tasks grow a fully dynamic graph and commits what they added", async () => {
    const { orch } = sandbox();
    const result = await orch("start", fixture("dynamic"), "--run-id", "dyn");
    expect(result.exitCode).toBe(0);
    const s = await status(orch, "dyn");
    expect(s.run.status).toBe("succeeded");
    const ids = new Set(s.nodes.map((n) => n.id));
    for (const node of s.nodes) {
      expect(node.status).toBe("succeeded");
      if (node.created_by !== null) expect(ids.has(node.created_by)).toBe(true);
    }
    expect(s.nodes.filter((n) => n.created_by === null)).toHaveLength(1);
  });

  it("keeps non-JSON stdout as log lines and fails a task on an invalid message, naming the line", async () => {
    const { orch } = sandbox();
    const result = await orch("start", fixture("garbage"), "--run-id", "g1");
    expect(result.exitCode).toBe(1);
    const s = await status(orch, "g1");
    const failed = s.nodes.filter((n) => n.status === "failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]!.reason).toMatch(/stdout line \d+ is not a valid message/);
    const printer = s.nodes.find((n) => n.id === "printer");
    expect(printer?.status).toBe("succeeded");
    const logs = await orch("logs", "g1");
    expect(logs.stdout).toMatch(/is not JSON, kept as a log line/);
  });

  it("discards a failed task's mutations, so nothing it added is committed", async () => {
    const { orch, write } = sandbox();
    const file = write({
      "w/workflow.json": JSON.stringify({ name: "discard", nodes: [{ id: "a", run: "a.py" }] }),
      "w/a.py": pyTask(
        'task.add_node("x", run="a.py")\ntask.add_edge("a", "x")\nraise SystemExit(3)',
      ),
    });
    const result = await orch("start", file, "--run-id", "x1");
    expect(result.exitCode).toBe(1);
    const s = await status(orch, "x1");
    expect(s.nodes.map((n) => n.id)).toEqual(["a"]);
    expect(s.edges).toEqual([]);
    expect(s.nodes[0]!.reason).toMatch(/exited with code 3/);
  });

  it("fails a task whose mutation is structurally wrong, with the line and the problem", async () => {
    const { orch, write } = sandbox();
    const file = write({
      "w/workflow.json": JSON.stringify({
        name: "bad-edge",
        nodes: [
          { id: "a", run: "a.py" },
          { id: "b", run: "a.py" },
        ],
      }),
      "w/a.py": pyTask(
        'import os\nif os.environ["ORCH_NODE_ID"] == "b":\n    task.add_edge("b", "a")',
      ),
    });
    const result = await orch("start", file, "--run-id", "s1");
    expect(result.exitCode).toBe(1);
    const s = await status(orch, "s1");
    expect(s.nodes.find((n) => n.id === "b")?.reason).toMatch(
      /stdout line 1: edge b -> a points into a, which has already started/,
    );
  });

  it("refuses bad usage with exit 2 and runs nothing", async () => {
    const { orch } = sandbox();
    expect((await orch("start", fixture("diamond"), "--run-id", "bad id")).exitCode).toBe(2);
    expect((await orch("start", fixture("diamond"), "--run-id", "same")).exitCode).toBe(0);
    const again = await orch("start", fixture("diamond"), "--run-id", "same");
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
    expect((await orch("start", fixture("diamond"), "--python", "/no/such/python")).exitCode).toBe(
      2,
    );
    expect((await orch("frobnicate")).exitCode).toBe(2);
  });

  it("prints a command's help on --help, and with a usage error", async () => {
    const { orch } = sandbox();
    const help = await orch("status", "--help");
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(/^orch status \[run\]/);
    expect(help.stdout).toMatch(/--json\s+print one JSON object/);
    const wrong = await orch("status", "--bogus");
    expect(wrong.exitCode).toBe(2);
    expect(wrong.stderr).toMatch(/^orch: Unknown argument: bogus\n/);
    expect(wrong.stderr).toMatch(/--json\s+print one JSON object/);
  });

  it("prints orch's own version from any directory, not the nearest package.json's", async () => {
    const { dir, write } = sandbox();
    write({ "package.json": JSON.stringify({ name: "their-project", version: "9.9.9" }) });
    const { version } = z
      .object({ version: z.string() })
      .parse(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")));
    for (const cwd of [dir, tmpdir()]) {
      const result = await execa("node", [MAIN, "--version"], { cwd, reject: false });
      expect(result.exitCode, cwd).toBe(0);
      expect(String(result.stdout).trim(), cwd).toBe(version);
    }
  });
});

describe("reading runs", () => {
  it("lists runs newest first and reads a live run from a second process", async () => {
    const { dir, orch, spawnOrch, write } = sandbox();
    await orch("start", fixture("diamond"), "--run-id", "first");
    const file = write({
      "slow/workflow.json": JSON.stringify({
        name: "slow",
        nodes: [
          { id: "a", run: "a.py" },
          { id: "b", run: "a.py", depends_on: ["a"] },
        ],
      }),
      "slow/a.py": pyTask(
        'import time, os\nif os.environ["ORCH_NODE_ID"] == "a":\n    task.add_node("late", run="a.py")\n    time.sleep(1.5)',
      ),
    });
    const live = spawnOrch("start", file, "--run-id", "second");
    let seen: Awaited<ReturnType<typeof status>> | undefined;
    for (let i = 0; i < 100 && !seen; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const s = await status(orch, "second").catch(() => undefined);
      if (s?.nodes.some((n) => n.status === "running")) seen = s;
    }
    expect(seen?.run.status).toBe("running");
    const graph = await orch("graph", "second", "--out", `${dir}/live.json`);
    expect(graph.exitCode).toBe(0);
    const drawn = JSON.parse(readFileSync(`${dir}/live.json`, "utf8")) as {
      nodes: { id: string }[];
    };
    expect(drawn.nodes.map((n) => n.id)).toContain("late");
    expect((await live).exitCode).toBe(0);
    const runs = await orch("runs", "--json");
    const list = JSON.parse(runs.stdout) as { id: string }[];
    expect(list.map((r) => r.id)).toEqual(["second", "first"]);
  });

  it("explains an unknown run", async () => {
    const { orch } = sandbox();
    await orch("start", fixture("diamond"), "--run-id", "r");
    const result = await orch("status", "nope");
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/no run with id nope/);
  });
});
