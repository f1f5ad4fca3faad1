/**
 * No input a task or a user can give crashes orch: every bad input below ends with
 * a clear error (a failed task, exit 1; or an invalid workflow, exit 2) or is
 * handled, and orch's stderr never shows a stack trace.
 */
import { chmodSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  type CliResult,
  expectNoCrash,
  finish,
  isAlive,
  nodeOf,
  peakRssKb,
  readPids,
  type Sandbox,
  scratchSpace,
  status,
  waitFor,
  workflow,
} from "./helpers.js";

// Tests below run concurrently: clean up once they are all done.
const { scratch, leftovers } = scratchSpace(afterAll);

/**
 * A raw task (no SDK): reads its start line, then writes the Python bytes expression
 * `payload` to fd 1 as is, then a valid output message, and exits `code`.
 */
const raw = (payload: string, code = 0) => `import os, sys
sys.stdin.buffer.readline()
data = ${payload}
view = memoryview(data)
while view:
    view = view[os.write(1, view):]
os.write(1, b'{"type":"output","values":{"after":true}}\\n')
sys.exit(${code})
`;

/** Start a one-file workflow of `nodes` with `scripts`, run it, and return the result and its status. */
const runWorkflow = async (
  nodes: readonly object[],
  scripts: Record<string, string>,
  flags: readonly string[] = [],
  extra: object = {},
) => {
  const sb = scratch();
  const file = sb.write({
    "w/workflow.json": workflow("bad-input", nodes, extra),
    ...Object.fromEntries(Object.entries(scripts).map(([name, text]) => [`w/${name}`, text])),
  });
  const result = await sb.orch("start", file, "--run-id", "r1", ...flags);
  expectNoCrash(result);
  const s = await status(sb, "r1");
  expect(s.run.status, "the run ended").not.toBe("running");
  return { sb, file, result, s };
};

const logsOf = async (sb: Sandbox, node?: string): Promise<string> => {
  const logs = await sb.orch("logs", "r1", ...(node ? [node] : []));
  expect(logs.exitCode).toBe(0);
  return logs.stdout;
};

describe.concurrent("what a task writes to stdout", () => {
  it("keeps lines that are not JSON as log lines, with a warning, and carries on", async () => {
    const { sb, result, s } = await runWorkflow([{ id: "a", run: "a.py" }], {
      "a.py": raw(`b"hello there\\n{not json\\n   \\n\\n1 2 3\\n"`),
    });
    expect(result.exitCode).toBe(0);
    expect(nodeOf(s, "a").outputs).toEqual({ after: true });
    const logs = await logsOf(sb, "a");
    expect(logs).toContain("warning: stdout line 1 is not JSON, kept as a log line: hello there");
    expect(logs).toContain("warning: stdout line 2 is not JSON, kept as a log line: {not json");
  });

  it("fails the task, naming the line, on JSON that is not a message", async () => {
    const bad = [
      "[1, 2, 3]",
      '"a string"',
      "null",
      "42",
      '{"foo": 1}',
      '{"type": "add_node"}',
      '{"type": "log"}',
    ];
    const nodes = bad.map((_, i) => ({ id: `n${i}`, run: "bad.py", args: [String(i)] }));
    const { result, s } = await runWorkflow(nodes, {
      "bad.py": `import os, sys
sys.stdin.buffer.readline()
bad = ${JSON.stringify(bad)}
os.write(1, b'{"type":"log","message":"fine"}\\n' + bad[int(sys.argv[1])].encode() + b"\\n")
`,
    });
    expect(result.exitCode).toBe(1);
    for (const [i, line] of bad.entries()) {
      const node = nodeOf(s, `n${i}`);
      expect(node.status, line).toBe("failed");
      expect(node.reason, line).toMatch(/^stdout line 2 is not a valid message: /);
    }
  });

  it("fails the task on an unknown message type, naming the line and the type", async () => {
    const { result, s } = await runWorkflow([{ id: "a", run: "a.py" }], {
      "a.py": raw(`b'{"type":"log","message":"ok"}\\n{"type":"explode","now":true}\\n'`),
    });
    expect(result.exitCode).toBe(1);
    const a = nodeOf(s, "a");
    expect(a.status).toBe("failed");
    expect(a.reason).toMatch(/^stdout line 2 is not a valid message: .*type/);
    expect(a.outputs).toBeNull();
  });

  it("fails the task on a line longer than --max-line (5000 characters over a limit of 1000)", async () => {
    const long = "x".repeat(5000);
    const { result, s } = await runWorkflow(
      [
        { id: "text", run: "a.py" },
        { id: "json", run: "b.py" },
      ],
      {
        "a.py": raw(`b"${long}\\n"`),
        "b.py": raw(`b'{"type":"log","message":"${long}"}\\n'`),
      },
      ["--max-line", "1000"],
    );
    expect(result.exitCode).toBe(1);
    for (const id of ["text", "json"]) {
      const node = nodeOf(s, id);
      expect(node.status, id).toBe("failed");
      expect(node.reason, id).toMatch(/stdout line 1 is longer than the limit of 1000 characters/);
    }
  });

  it("fails the task on an 18 MiB line under the default limit of 17 MiB (--max-output plus 1 MiB)", async () => {
    const { result, s } = await runWorkflow([{ id: "a", run: "a.py" }], {
      "a.py": raw(`b"y" * (18 * 1024 * 1024) + b"\\n"`),
    });
    expect(result.exitCode).toBe(1);
    const a = nodeOf(s, "a");
    expect(a.status).toBe("failed");
    expect(a.reason).toMatch(/stdout line 1 is longer than the limit of 17825792 characters/);
  });

  it("survives binary data and invalid UTF-8, and still reads the messages after it", async () => {
    const { sb, result, s } = await runWorkflow([{ id: "a", run: "a.py" }], {
      "a.py": raw(
        `bytes(range(256)) * 8 + b"\\n\\xff\\xfe\\xc3\\x28\\xe2\\x82\\n\\x00\\x00{\\x00}\\n\\xed\\xa0\\x80\\n"`,
      ),
    });
    expect(result.exitCode).toBe(0);
    expect(nodeOf(s, "a").outputs).toEqual({ after: true });
    expect(await logsOf(sb, "a")).toContain("is not JSON, kept as a log line");
  });

  it("reassembles a message that arrives in pieces", async () => {
    const { result, s } = await runWorkflow([{ id: "a", run: "a.py" }], {
      "a.py": `import os, sys, time
sys.stdin.buffer.readline()
for piece in [b'{"type":"out', b'put","values":{"pie', b'ces":3}}', b"\\n"]:
    os.write(1, piece)
    time.sleep(0.05)
`,
    });
    expect(result.exitCode).toBe(0);
    expect(nodeOf(s, "a").outputs).toEqual({ pieces: 3 });
  });
});

describe("floods", () => {
  /** Start the workflow in the background and poll orch's peak RSS until it exits. */
  const runMeasured = async (
    sb: Sandbox,
    file: string,
  ): Promise<{ result: CliResult; peakMb: number }> => {
    const started = Date.now();
    const child = sb.spawn("start", file, "--run-id", "r1");
    let peak = 0;
    const poller = setInterval(() => {
      const kb = child.pid === undefined ? null : peakRssKb(child.pid);
      if (kb !== null) peak = Math.max(peak, kb);
    }, 50);
    const result = await finish(child, started);
    clearInterval(poller);
    return { result, peakMb: peak / 1024 };
  };

  it("a task flooding stdout with 200 MB of non-JSON text: orch's memory stays bounded and it finishes", async () => {
    const sb = scratch();
    const file = sb.write({
      "w/workflow.json": workflow("flood", [{ id: "a", run: "a.py" }]),
      "w/a.py": `import os, sys
sys.stdin.buffer.readline()
chunk = (b"z" * 999 + b"\\n") * 1024  # 1 MB of 1000-character lines
for _ in range(200):
    os.write(1, chunk)
os.write(1, b'{"type":"output","values":{"after":true}}\\n')
`,
    });
    const { result, peakMb } = await runMeasured(sb, file);
    console.log(
      `stdout flood: 200 MB in ${result.seconds.toFixed(1)} s, orch peak RSS ${peakMb.toFixed(0)} MB`,
    );
    expectNoCrash(result);
    expect(result.exitCode).toBe(0);
    expect(peakMb).toBeGreaterThan(0);
    expect(peakMb).toBeLessThan(400);
    const s = await status(sb, "r1");
    expect(nodeOf(s, "a").outputs).toEqual({ after: true });
    sb.remove(); // 200 MB of log
  }, 120_000);

  it("a task flooding stdout with half a million short non-JSON lines: bounded memory, it finishes", async () => {
    const sb = scratch();
    const file = sb.write({
      "w/workflow.json": workflow("flood", [{ id: "a", run: "a.py" }]),
      "w/a.py": `import os, sys
sys.stdin.buffer.readline()
chunk = b"zzzzzzzz\\n" * 100_000
for _ in range(5):
    os.write(1, chunk)
os.write(1, b'{"type":"output","values":{"after":true}}\\n')
`,
    });
    const { result, peakMb } = await runMeasured(sb, file);
    console.log(
      `short-line flood: 500,000 lines in ${result.seconds.toFixed(1)} s ` +
        `(${Math.round(500_000 / result.seconds)} lines/s), orch peak RSS ${peakMb.toFixed(0)} MB`,
    );
    expectNoCrash(result);
    expect(result.exitCode).toBe(0);
    expect(peakMb).toBeLessThan(400);
    expect(nodeOf(await status(sb, "r1"), "a").outputs).toEqual({ after: true });
    sb.remove();
  }, 120_000);

  it("a task flooding stderr with 100 MB: its log takes it, orch's memory stays bounded", async () => {
    const sb = scratch();
    const file = sb.write({
      "w/workflow.json": workflow("flood", [{ id: "a", run: "a.py" }]),
      "w/a.py": `import os, sys
from orch import task
chunk = (b"e" * 1023 + b"\\n") * 1024
for _ in range(100):
    os.write(2, chunk)
task.output(done=True)
`,
    });
    const { result, peakMb } = await runMeasured(sb, file);
    console.log(
      `stderr flood: 100 MB in ${result.seconds.toFixed(1)} s, orch peak RSS ${peakMb.toFixed(0)} MB`,
    );
    expectNoCrash(result);
    expect(result.exitCode).toBe(0);
    expect(peakMb).toBeLessThan(400);
    const s = await status(sb, "r1");
    const log = nodeOf(s, "a").history[0]!.log;
    expect(statSync(log).size).toBeGreaterThanOrEqual(100 * 1024 * 1024);
    sb.remove();
  }, 120_000);
});

describe.concurrent("how a task treats its pipes and processes", () => {
  it("a task that closes stdin at once (without reading a 2 MB start message) still runs", async () => {
    const { result, s } = await runWorkflow(
      [{ id: "a", run: "a.py", params: { big: "p".repeat(2_000_000) } }],
      {
        "a.py": `import os, time
os.close(0)
time.sleep(0.3)
os.write(1, b'{"type":"output","values":{"ok":true}}\\n')
`,
      },
    );
    expect(result.exitCode).toBe(0);
    expect(nodeOf(s, "a").outputs).toEqual({ ok: true });
  });

  it("a task that closes stdout early and keeps running is waited for, then succeeds", async () => {
    const { result, s } = await runWorkflow(
      [
        { id: "a", run: "a.py" },
        { id: "b", run: "b.py", depends_on: ["a"] },
      ],
      {
        "a.py": `import os, sys, time
sys.stdin.buffer.readline()
os.write(1, b'{"type":"output","values":{"before_close":true}}\\n')
os.close(1)
time.sleep(1)
open("a-finished", "w").close()
`,
        "b.py": `import os
from orch import task
task.output(saw=os.path.exists("a-finished"))
`,
      },
    );
    expect(result.exitCode).toBe(0);
    expect(nodeOf(s, "a").outputs).toEqual({ before_close: true });
    expect(nodeOf(s, "b").outputs).toEqual({ saw: true });
  });

  it("a task that leaves a child running (holding its stdout) does not hang orch; the child is killed", async () => {
    const sb = scratch();
    const file = sb.write({
      "w/workflow.json": workflow("fork", [{ id: "a", run: "a.py" }]),
      "w/a.py": `import os, subprocess, sys
sys.stdin.buffer.readline()
child = subprocess.Popen(["sleep", "100000"])  # inherits the task's stdout pipe; orch must not wait for it
with open("pids.tmp", "w") as f:
    f.write(f"{child.pid}\\n")
os.replace("pids.tmp", "pids")
os.write(1, b'{"type":"output","values":{"forked":true}}\\n')
`,
    });
    const result = await sb.orch("start", file, "--run-id", "r1");
    const [pid] = await readPids(join(sb.dir, "w/pids"));
    leftovers.push(pid!);
    expectNoCrash(result);
    expect(result.exitCode).toBe(0);
    expect(await waitFor(() => !isAlive(pid!), 2_000), "the leftover child was killed").toBe(true);
  });

  it("a task whose child escapes its process group (setsid) holding stdout does not hang orch", async () => {
    const sb = scratch();
    const file = sb.write({
      "w/workflow.json": workflow("daemon", [{ id: "a", run: "a.py" }]),
      "w/a.py": `import os, subprocess, sys
sys.stdin.buffer.readline()
child = subprocess.Popen(["sleep", "100000"], start_new_session=True)  # own session, stdout inherited
with open("pids.tmp", "w") as f:
    f.write(f"{child.pid}\\n")
os.replace("pids.tmp", "pids")
os.write(1, b'{"type":"output","values":{"daemon":true}}\\n')
`,
    });
    const started = Date.now();
    const child = sb.spawn("start", file, "--run-id", "r1");
    const [pid] = await readPids(join(sb.dir, "w/pids"));
    leftovers.push(pid!);
    const result = await finish(child, started);
    expectNoCrash(result);
    expect(result.exitCode).toBe(0);
    // orch ended while the escaped process still holds stdout: it did not wait for it.
    expect(isAlive(pid!), "the escaped process outlived orch").toBe(true);
  }, 60_000);
});

describe.concurrent("scripts", () => {
  it("a script missing from the workflow file is refused before anything runs, naming it", async () => {
    const sb = scratch();
    const file = sb.write({
      "w/workflow.json": workflow("missing", [{ id: "a", run: "tasks/nope.py" }]),
    });
    for (const command of ["validate", "start"]) {
      const result = await sb.orch(command, file);
      expect(result.exitCode, command).toBe(2);
      expectNoCrash(result);
      expect(result.stderr, command).toContain("nodes[0].run: file not found: tasks/nope.py");
    }
  });

  it("a node added at runtime with a missing script fails, naming the script", async () => {
    const { result, s } = await runWorkflow([{ id: "a", run: "a.py" }], {
      "a.py":
        'from orch import task\ntask.add_node("m", run="tasks/nope.py")\ntask.add_edge("a", "m")\n',
    });
    expect(result.exitCode).toBe(1);
    const m = nodeOf(s, "m");
    expect(m.status).toBe("failed");
    expect(m.reason).toMatch(/script not found: tasks\/nope\.py/);
  });

  it("a script without the executable bit runs anyway (orch runs `python3 SCRIPT`)", async () => {
    const sb = scratch();
    const file = sb.write({
      "w/workflow.json": workflow("noexec", [{ id: "a", run: "a.py" }]),
      "w/a.py": "from orch import task\ntask.output(ran=True)\n",
    });
    chmodSync(join(sb.dir, "w/a.py"), 0o644);
    const result = await sb.orch("start", file, "--run-id", "r1");
    expect(result.exitCode).toBe(0);
    expect(nodeOf(await status(sb, "r1"), "a").outputs).toEqual({ ran: true });
  });

  it("a script that is not valid Python fails with the interpreter's error in its log", async () => {
    const { sb, result, s } = await runWorkflow([{ id: "a", run: "a.py" }], {
      "a.py": "def broken(:\n",
    });
    expect(result.exitCode).toBe(1);
    expect(nodeOf(s, "a").reason).toBe("exited with code 1");
    expect(await logsOf(sb, "a")).toContain("SyntaxError");
  });
});

describe.concurrent("workflow files and ids", () => {
  it("validates a workflow of 10,000 nodes", async () => {
    const sb = scratch();
    const nodes = Array.from({ length: 10_000 }, (_, i) => ({
      id: `n-${i}`,
      run: "t.py",
      params: { i },
      ...(i > 0 ? { depends_on: [`n-${Math.floor((i - 1) / 2)}`] } : {}),
    }));
    const file = sb.write({ "w/workflow.json": workflow("huge", nodes), "w/t.py": "" });
    const result = await sb.orch("validate", file);
    expectNoCrash(result);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("10000 nodes, 9999 edges");
  });

  /** JSON text of arrays nested `depth` deep (built as text: JSON.stringify itself overflows on it). */
  const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

  it("params nested 5000 deep in a workflow file: a clear error or success, never a crash", async () => {
    const sb = scratch();
    const file = sb.write({
      "w/workflow.json": `{"name": "deep", "nodes": [{"id": "a", "run": "t.py", "params": {"deep": ${nested(5000)}}}]}`,
      "w/t.py": "from orch import task\ntask.output(ok=True)\n",
    });
    for (const command of ["validate", "start"]) {
      const result = await sb.orch(command, file);
      expectNoCrash(result);
      expect([0, 1, 2], `${command}: ${result.stderr}`).toContain(result.exitCode);
      if (result.exitCode === 2) {
        expect(result.stderr, command).toContain("workflow.json");
        expect(result.stderr, command).toMatch(/nest|deep/i);
      }
    }
  });

  it.each([
    ["add_node", '{"type":"add_node","id":"x","run":"t.py","params":{"deep":DEEP}}'],
    ["output", '{"type":"output","values":{"deep":DEEP}}'],
  ])(
    "a task message (%s) nested 5000 deep: a clear error or success, never a crash",
    async (_, template) => {
      const line = template.replace("DEEP", nested(5000));
      const { result, s } = await runWorkflow([{ id: "a", run: "a.py" }], {
        "a.py": `import os, sys, time
sys.stdin.buffer.readline()
os.write(1, ${JSON.stringify(line)}.encode() + b"\\n")
time.sleep(0.5)  # let orch stage what it has received while the task still runs
`,
        "t.py": "",
      });
      expect([0, 1]).toContain(result.exitCode);
      const a = nodeOf(s, "a");
      if (a.status === "failed") expect(a.reason).toMatch(/stdout line 1/);
    },
  );

  it("rejects node ids with quotes, newlines, spaces or shell metacharacters, with the JSON path", async () => {
    const bad = [
      'a"b',
      "a'b",
      "a\nb",
      "a b",
      "$(touch pwned)",
      "a;rm -rf ~",
      "`id`",
      "a|b",
      "a/../b",
      "",
      "x".repeat(129),
    ];
    const sb = scratch();
    const file = sb.write({
      "w/workflow.json": workflow("ids", [
        { id: "ok", run: "t.py" },
        ...bad.map((id) => ({ id, run: "t.py" })),
      ]),
      "w/t.py": "",
    });
    const result = await sb.orch("validate", file);
    expectNoCrash(result);
    expect(result.exitCode).toBe(2);
    for (const i of bad.keys()) expect(result.stderr).toContain(`nodes[${i + 1}].id`);
    expect(result.stderr).not.toContain("nodes[0].id");
    const edge = sb.write({
      "e/workflow.json": workflow("ids", [{ id: "ok", run: "t.py", depends_on: ["a;b"] }], {
        edges: [{ from: "ok", to: "$(x)" }],
      }),
      "e/t.py": "",
    });
    const edgeResult = await sb.orch("validate", edge);
    expect(edgeResult.exitCode).toBe(2);
    expect(edgeResult.stderr).toContain("nodes[0].depends_on[0]");
    expect(edgeResult.stderr).toContain("edges[0].to");
    const runId = await sb.orch("start", file, "--run-id", "x; rm -rf ~");
    expect(runId.exitCode).toBe(2);
    expectNoCrash(runId);
  });

  it("fails a task that adds a node with a bad id, naming the line", async () => {
    const bad = ['a"b', "a\nb", "$(touch pwned)", "a;b", "`id`"];
    const nodes = bad.map((_, i) => ({ id: `n${i}`, run: "a.py", args: [String(i)] }));
    const { result, s } = await runWorkflow(nodes, {
      "a.py": `import json, os, sys
sys.stdin.buffer.readline()
bad = ${JSON.stringify(bad)}
os.write(1, json.dumps({"type": "add_node", "id": bad[int(sys.argv[1])], "run": "a.py"}).encode() + b"\\n")
`,
    });
    expect(result.exitCode).toBe(1);
    for (const i of bad.keys()) {
      const node = nodeOf(s, `n${i}`);
      expect(node.status).toBe("failed");
      expect(node.reason).toMatch(/^stdout line 1 is not a valid message: id: /);
    }
    expect(s.nodes).toHaveLength(bad.length);
  });
});

describe.concurrent("run limits", () => {
  const ADD_TEN = `from orch import task
for i in range(10):
    task.add_node(f"m-{i}", run="a.py")
`;

  it("--max-nodes 5: a task adding 10 nodes fails naming the limit, and nothing it added is kept", async () => {
    const { result, s } = await runWorkflow(
      [
        { id: "a", run: "adder.py" },
        { id: "b", run: "a.py" },
      ],
      { "adder.py": ADD_TEN, "a.py": "" },
      ["--max-nodes", "5"],
    );
    expect(result.exitCode).toBe(1);
    const a = nodeOf(s, "a");
    expect(a.status).toBe("failed");
    expect(a.reason).toMatch(/stdout line 4: the run would exceed 5 nodes \(--max-nodes\)/);
    expect(s.nodes.map((n) => n.id).sort()).toEqual(["a", "b"]);
  });

  it("--max-mutations 3: a task making a 4th mutation fails naming the limit", async () => {
    const { result, s } = await runWorkflow(
      [{ id: "a", run: "adder.py" }],
      { "adder.py": ADD_TEN, "a.py": "" },
      ["--max-mutations", "3"],
    );
    expect(result.exitCode).toBe(1);
    const a = nodeOf(s, "a");
    expect(a.status).toBe("failed");
    expect(a.reason).toMatch(
      /stdout line 4: more than 3 mutations from one task \(--max-mutations\)/,
    );
    expect(s.nodes.map((n) => n.id)).toEqual(["a"]);
  });

  it("refuses nonsense limits as bad usage", async () => {
    const sb = scratch();
    const file = sb.write({
      "w/workflow.json": workflow("limits", [{ id: "a", run: "a.py" }]),
      "w/a.py": "",
    });
    for (const flags of [
      ["--max-line", "-1"],
      ["--max-nodes", "lots"],
      ["--kill-grace", "NaN"],
    ]) {
      const result = await sb.orch("start", file, ...flags);
      expect(result.exitCode, flags.join(" ")).toBe(2);
      expectNoCrash(result);
    }
  });
});
