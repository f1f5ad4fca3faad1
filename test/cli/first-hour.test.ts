import { mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { pyTask, ROOT, sandbox } from "./helpers.js";

const ESC = "\u001b";

/** A workflow of one node `A` running `tasks/a.py` with `body`. */
const oneTask = (box: ReturnType<typeof sandbox>, body: string, name = "one"): string =>
  box.write({
    "wf.json": JSON.stringify({ name, nodes: [{ id: "A", run: "tasks/a.py" }] }),
    "tasks/a.py": pyTask(body),
  });

describe("orch on the PATH and orch init", () => {
  it("make install puts a working orch in npm's global bin; it runs from an empty folder", async () => {
    const prefix = mkdtempSync(join(tmpdir(), "orch-prefix-"));
    const install = await execa("make", ["install"], {
      cwd: ROOT,
      env: { npm_config_prefix: prefix },
      reject: false,
    });
    expect(install.exitCode, String(install.stderr)).toBe(0);
    const orch = join(prefix, "bin", "orch");
    const empty = mkdtempSync(join(tmpdir(), "orch-user-"));
    const version = await execa(orch, ["--version"], { cwd: empty });
    const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      version: string;
    };
    expect(version.stdout.trim()).toBe(manifest.version);

    const init = await execa(orch, ["init"], { cwd: empty });
    expect(init.stdout).toContain("workflow.json");
    const started = await execa(orch, ["start", "./workflow.json"], { cwd: empty, reject: false });
    expect(started.exitCode, String(started.stderr)).toBe(0);
    expect(started.stdout).toMatch(/run \S+ succeeded: 5 succeeded/);
    expect(readdirSync(join(empty, ".orch"))).toContain("orch.db");
  }, 600_000);

  it("orch init writes an example that runs and draws, and refuses to overwrite it", async () => {
    const box = sandbox();
    const dir = join(box.dir, "project");
    const init = await box.orch("init", dir);
    expect(init.exitCode, init.stderr).toBe(0);
    const workflow = JSON.parse(readFileSync(join(dir, "workflow.json"), "utf8")) as {
      $schema: string;
      promises: unknown[];
    };
    expect(workflow.$schema).toBe(join(ROOT, "schemas", "workflow.schema.json"));
    expect(workflow.promises.length).toBeGreaterThan(0);
    for (const task of ["plan", "work", "report"])
      expect(readFileSync(join(dir, "tasks", `${task}.py`), "utf8")).toContain(
        "from orch import task",
      );

    const graph = await box.orch("graph", join(dir, "workflow.json"), "--out", join(dir, "b.svg"));
    expect(graph.exitCode, graph.stderr).toBe(0);
    expect(graph.stdout).toMatch(/2 nodes, 1 edges, 1 wildcards/);
    const run = await box.orch("start", join(dir, "workflow.json"));
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain("succeeded  work-3");

    writeFileSync(join(dir, "workflow.json"), "mine");
    const again = await box.orch("init", dir);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain(join(dir, "workflow.json"));
    expect(readFileSync(join(dir, "workflow.json"), "utf8")).toBe("mine");
  });
});

describe("validation says everything at once", () => {
  it("lists schema errors, graph errors and duplicate keys together, with a did-you-mean", async () => {
    const box = sandbox();
    const file = box.write({
      "wf.json": `{
  "name": "x",
  "nodes": [
    { "id": "A", "run": "a.py", "retry": 2 },
    { "id": "B", "run": "a.py", "run": "a.py" }
  ],
  "edges": [ { "from": "A", "to": "Q" }, { "from": "A", "to": "B" }, { "from": "B", "to": "A" } ],
  "promises": [ { "scope": "Z", "nodes": false } ]
}`,
      "a.py": "",
    });
    const result = await box.orch("validate", file);
    expect(result.exitCode).toBe(2);
    const lines = result.stderr.split("\n");
    expect(lines).toContainEqual(
      expect.stringMatching(/nodes\[0\]\.retry: unknown key "retry": did you mean `retries`\?$/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /nodes\[1\]\.run: duplicate key "run" \(at line 5, column 18 and again at line 5, column 33\)/,
      ),
    );
    expect(lines).toContainEqual(expect.stringMatching(/edges\[0\]: names unknown node Q$/));
    expect(lines).toContainEqual(expect.stringMatching(/edges\[2\]: edge B -> A closes a cycle/));
    expect(lines).toContainEqual(expect.stringMatching(/promises\[0\]\.scope: .*Z/));
  });

  it("says a file is UTF-16, or a loop of symbolic links", async () => {
    const box = sandbox();
    const utf16 = join(box.dir, "u.json");
    writeFileSync(utf16, Buffer.from(`\ufeff{"name": "x"}`, "utf16le"));
    const loop = join(box.dir, "loop.json");
    symlinkSync(join(box.dir, "other.json"), loop);
    symlinkSync(loop, join(box.dir, "other.json"));
    const a = await box.orch("validate", utf16);
    expect(a.stderr).toContain("is UTF-16 text; a workflow file must be UTF-8");
    const b = await box.orch("validate", loop);
    expect(b.stderr).toContain("is a loop of symbolic links");
    expect([a.exitCode, b.exitCode]).toEqual([2, 2]);
  });

  it("refuses control characters in a script or a name, naming the place", async () => {
    const box = sandbox();
    const file = box.write({
      "wf.json": JSON.stringify({ name: "x\u001b[2J", nodes: [{ id: "A", run: "a\u0000.py" }] }),
    });
    const result = await box.orch("validate", file);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("name: holds a control character (\\x1b at position 2)");
    expect(result.stderr).toContain(
      "nodes[0].run: holds a control character (\\x00 at position 2)",
    );
  });
});

describe("the command line", () => {
  it.each([
    ["logs", "--follw", "x"],
    ["graph", "--bogus", "x"],
    ["start", "--bogus", "wf.json"],
    ["status", "--bogus"],
    ["runs", "--bogus"],
    ["resume", "--bogus", "r"],
    ["validate", "--bogus", "wf.json"],
  ])("reports an unknown flag as such: orch %s %s", async (...args) => {
    const result = await sandbox().orch(...args);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/^orch: Unknown argument: (follw|bogus)/);
  });

  it("refuses run ids that are not names, and a run id already taken, even at the same moment", async () => {
    const box = sandbox();
    const file = oneTask(box, "task.output(ok=True)");
    for (const id of [".", "..", ".hidden", "a/b", "x".repeat(129)]) {
      const result = await box.orch("start", file, "--run-id", id);
      expect(result.exitCode, id).toBe(2);
      expect(result.stderr).toContain("not starting with");
    }
    const both = await Promise.all(
      [0, 1, 2].map(() => box.orch("start", file, "--run-id", "same")),
    );
    expect(both.map((r) => r.exitCode).sort()).toEqual([0, 2, 2]);
    for (const refused of both.filter((r) => r.exitCode === 2))
      expect(refused.stderr).toBe("orch: a run with id same already exists");
  });

  it("orch runs has a header row", async () => {
    const box = sandbox();
    await box.orch("start", oneTask(box, "task.output(ok=True)"), "--run-id", "r1");
    const runs = await box.orch("runs");
    const [header, row] = runs.stdout.split("\n");
    expect(header).toMatch(/^RUN +STATUS +CREATED +NAME$/);
    expect(row).toMatch(/^r1 +succeeded +\S+ +one$/);
    expect(header!.indexOf("STATUS")).toBe(row!.indexOf("succeeded"));
  });
});

describe("what a task controls never reaches the terminal raw", () => {
  it("a hostile script name fails the task, and nothing forges a line or clears the screen", async () => {
    const box = sandbox();
    const hostile = "nope\n14:00:00  run succeeded\u001b[2J";
    const file = oneTask(box, `task.add_node("M", run=${JSON.stringify(hostile)})`);
    const result = await box.orch("start", file, "--run-id", "r");
    expect(result.exitCode).toBe(1);
    const everything = [
      result.stdout,
      result.stderr,
      (await box.orch("status", "r")).stdout,
      (await box.orch("runs")).stdout,
      (await box.orch("logs", "r", "A")).stdout
        .split("\n")
        .filter((l) => l.startsWith("--"))
        .join("\n"),
      readFileSync(join(box.dir, "orch.log"), "utf8"),
    ].join("\n");
    expect(everything).not.toContain(ESC);
    expect(everything.split("\n").some((line) => /run succeeded/.test(line))).toBe(false);
    expect(result.stdout).toContain("holds a control character");
  });
});

describe("following a run", () => {
  /** Writes `line 0`, waits for the file `go` beside the workflow, then writes two more lines. */
  const gated = pyTask(
    [
      "import os, sys, time",
      "print('line 0', file=sys.stderr, flush=True)",
      "while not os.path.exists('go'):",
      "    time.sleep(0.05)",
      "for i in (1, 2):",
      "    print(f'line {i}', file=sys.stderr, flush=True)",
      "    time.sleep(0.3)",
    ].join("\n"),
  );
  /** A run `r` of the gated task, once its `line 0` is in the log. */
  const startGated = async () => {
    const box = sandbox();
    const file = box.write({
      "wf.json": JSON.stringify({ name: "slow", nodes: [{ id: "A", run: "tasks/a.py" }] }),
      "tasks/a.py": gated,
    });
    const run = box.spawnOrch("start", file, "--run-id", "r");
    while (!(await box.orch("logs", "r", "A")).stdout.includes("line 0"));
    return { box, run };
  };

  /** Once `process` has printed `text`, let the task go on; then wait for `process` to end. */
  const releasedOnceShown = async (
    box: ReturnType<typeof sandbox>,
    process: ReturnType<ReturnType<typeof sandbox>["spawnOrch"]>,
    text: string,
  ) => {
    await new Promise<void>((resolve) => {
      process.stdout?.on("data", (chunk: Buffer) => {
        if (chunk.toString().includes(text)) resolve();
      });
    });
    writeFileSync(join(box.dir, "go"), "");
    return await process;
  };

  it("orch logs RUN NODE --follow prints the log as it grows and ends with the node", async () => {
    const { box, run } = await startGated();
    const followed = await releasedOnceShown(
      box,
      box.spawnOrch("logs", "r", "A", "--follow"),
      "line 0",
    );
    expect(followed.exitCode, String(followed.stderr)).toBe(0);
    const lines = String(followed.stdout).split("\n");
    expect(lines[0]).toBe("== A attempt 1 (running) ==");
    expect(lines.filter((l) => l.startsWith("line "))).toEqual(["line 0", "line 1", "line 2"]);
    expect((await run).exitCode).toBe(0);
  });

  it("orch status RUN --watch prints the table until the run ends", async () => {
    const { box, run } = await startGated();
    const watched = await releasedOnceShown(
      box,
      box.spawnOrch("status", "r", "--watch"),
      "running",
    );
    expect(watched.exitCode, String(watched.stderr)).toBe(0);
    const tables = String(watched.stdout).trim().split("\n\n");
    expect(tables[0]).toMatch(/^run r {2}slow {2}running {2}\(parallel 1\)\n/);
    expect(tables.at(-1)).toMatch(/^run r {2}slow {2}succeeded {2}\(parallel 1\)\n/);
    expect((await run).exitCode).toBe(0);
  });
});
