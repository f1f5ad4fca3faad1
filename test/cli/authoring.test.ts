import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { PluginInfoSchema } from "../../src/workflow/python-steps.js";
import { fixture, nodeStatus, pyTask, ROOT, sandbox, status } from "./helpers.js";

const json = (value: unknown): string => JSON.stringify(value, null, 2);
const outputsOf = (s: Awaited<ReturnType<typeof status>>, id: string) =>
  s.nodes.find((n) => n.id === id)?.outputs;

describe("function nodes (call)", () => {
  const steps = `from orch import Outputs

def greet(name: str, punctuation: str = "!") -> str:
    return f"hello {name}{punctuation}"

def split(text: str) -> Outputs:
    head, _, tail = text.partition(" ")
    return Outputs(head=head, tail=tail)

def needs(missing_one: int) -> int:
    return missing_one
`;

  it("binds parameters from params, outputs result or the keys of Outputs", async () => {
    const { orch, write } = sandbox();
    const wf = write({
      "wf.json": json({
        name: "calls",
        nodes: [
          { id: "g", call: "etl.steps:greet", params: { name: "ada" } },
          { id: "s", call: "etl.steps:split", params: { text: "a b c" } },
        ],
      }),
      "etl/__init__.py": "",
      "etl/steps.py": steps,
    });
    const run = await orch("start", wf, "--run-id", "c1");
    expect(run.exitCode).toBe(0);
    const s = await status(orch, "c1");
    expect(outputsOf(s, "g")).toEqual({ result: "hello ada!" });
    expect(outputsOf(s, "s")).toEqual({ head: "a", tail: "b c" });
  });

  it("fails the attempt naming a parameter that has no value", async () => {
    const { orch, write } = sandbox();
    const wf = write({
      "wf.json": json({ name: "missing", nodes: [{ id: "n", call: "steps:needs" }] }),
      "steps.py": steps,
    });
    expect((await orch("start", wf, "--run-id", "m1")).exitCode).toBe(1);
    const logs = await orch("logs", "m1", "n");
    expect(logs.stdout).toMatch(/parameter 'missing_one' has no value/);
  });

  it("refuses a module that is not there, and a node naming two of run, call, uses", async () => {
    const { orch, write } = sandbox();
    write({ "t.py": pyTask("") });
    const missing = write({
      "missing.json": json({ name: "bad", nodes: [{ id: "a", call: "nowhere.mod:f" }] }),
    });
    const two = write({
      "two.json": json({
        name: "bad",
        nodes: [{ id: "b", run: "t.py", uses: "print", params: { message: "x" } }],
      }),
    });
    const first = await orch("validate", missing);
    expect(first.exitCode).toBe(2);
    expect(first.stderr).toMatch(/nodes\[0\]\.call: module nowhere\.mod not found/);
    const second = await orch("validate", two);
    expect(second.exitCode).toBe(2);
    expect(second.stderr).toMatch(/nodes\[0\]: a node names exactly one of "run"/);
  });

  it("lets a running task add a node that calls a @task function (.add)", async () => {
    const { orch, write } = sandbox();
    const wf = write({
      "wf.json": json({ name: "grow", nodes: [{ id: "seed", call: "grow:seed" }] }),
      "grow.py": `from orch import task

@task
def square(x: int) -> int:
    return x * x

def seed() -> None:
    square.add(x=7, id="sq")
`,
    });
    expect((await orch("start", wf, "--run-id", "g1")).exitCode).toBe(0);
    const s = await status(orch, "g1");
    expect(s.nodes.find((n) => n.id === "sq")?.created_by).toBe("seed");
    expect(outputsOf(s, "sq")).toEqual({ result: 49 });
  });
});

describe("Python workflows (@task / @workflow)", () => {
  const pipeline = join(ROOT, "fixtures/pipeline/pipeline.py");

  it("validates, draws and registers extract -> transform -> load, each its own process", async () => {
    const { orch, dir } = sandbox();
    const validate = await orch("validate", pipeline);
    expect(validate.exitCode).toBe(0);
    expect(validate.stdout).toMatch(/etl: 3 nodes, 2 edges, 1 promises/);
    const svg = join(dir, "etl.svg");
    expect((await orch("graph", pipeline, "--out", svg)).stdout).toMatch(/3 nodes, 2 edges/);
    expect((await orch("start", pipeline, "--run-id", "p1")).exitCode).toBe(0);
    const s = await status(orch, "p1");
    expect(s.edges.map((e) => `${e.from}->${e.to}`)).toEqual([
      "extract->transform",
      "transform->load",
    ]);
    expect(outputsOf(s, "extract")).toEqual({
      result: [0, 1, 2, 3, 4].map((i) => ({ id: i, v: i * i })),
    });
    // The rows reach transform and load as typed inputs: each step a process of its own.
    expect(outputsOf(s, "transform")).toEqual({
      result: [0, 1, 2, 3, 4].map((i) => ({ id: i, v: i * i, v2: i * i + 1 })),
    });
    expect(outputsOf(s, "load")).toEqual({ result: 5 });
  });

  it("picks one of several workflows by NAME and names the file when it cannot", async () => {
    const { orch, write } = sandbox();
    const file = write({
      "two.py": `from orch import task, workflow

@task
def one() -> int:
    return 1

@workflow
def first():
    one()

@workflow(name="second")
def other():
    one(); one()
`,
    });
    expect((await orch("validate", `${file}:second`)).stdout).toMatch(/second: 2 nodes/);
    const ambiguous = await orch("validate", file);
    expect(ambiguous.exitCode).toBe(2);
    expect(ambiguous.stderr).toMatch(/two\.py defines several workflows \(first, second\)/);
    const broken = write({ "broken.py": "import no_such_module_here\n" });
    const failed = await orch("validate", broken);
    expect(failed.exitCode).toBe(2);
    expect(failed.stderr).toMatch(
      /importing .*broken\.py failed:[\s\S]*No module named 'no_such_module_here'/,
    );
  });
});

describe("plugin task types (uses)", () => {
  it("runs the plugin fixture: params at the top level, output, logging to the node's log", async () => {
    const { orch } = sandbox();
    const run = await orch("start", fixture("plugins"), "--run-id", "u1");
    expect(run.exitCode).toBe(0);
    const s = await status(orch, "u1");
    expect(nodeStatus(s)).toEqual({
      hello: "succeeded",
      d: "succeeded",
      ls: "succeeded",
      note: "succeeded",
    });
    expect(outputsOf(s, "d")).toEqual({ result: 42 });
    expect(outputsOf(s, "ls")).toEqual({ result: expect.stringMatching(/^Python 3\./) });
    expect((await orch("logs", "u1", "hello")).stdout).toMatch(/\[SAY\] hello from a plugin/);
  });

  it("fails an attempt whose run returns False or raises, with the traceback in its log", async () => {
    const { orch, write } = sandbox();
    const wf = write({
      "wf.json": json({
        name: "fails",
        plugins: ["p"],
        nodes: [
          { id: "neg", uses: "double", params: { x: -1 } },
          { id: "boom", uses: "boom" },
        ],
      }),
      "p/double.py": `TASK_TYPE = "double"\ndef run(task):\n    return task["x"] > 0\n`,
      "p/boom.py": `TASK_TYPE = "boom"\ndef run(task):\n    raise ValueError("kaboom " + task["id"])\n`,
    });
    expect((await orch("start", wf, "--run-id", "f1")).exitCode).toBe(1);
    expect(nodeStatus(await status(orch, "f1"))).toEqual({ neg: "failed", boom: "failed" });
    expect((await orch("logs", "f1", "neg")).stdout).toMatch(/task type 'double' returned False/);
    expect((await orch("logs", "f1", "boom")).stdout).toMatch(
      /Traceback[\s\S]*ValueError: kaboom boom/,
    );
  });

  it("refuses before running: a missing required field, a param breaking the schema, an unknown type", async () => {
    const { orch, write } = sandbox();
    const wf = write({
      "wf.json": json({
        name: "refused",
        nodes: [
          { id: "a", uses: "api_call", params: { method: "GET" } },
          { id: "b", uses: "api_call", params: { url: "ftp://x" } },
          { id: "c", uses: "prnt", params: { message: "hi" } },
        ],
      }),
    });
    const result = await orch("start", wf, "--run-id", "r1");
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/nodes\[0\]\.params: task type api_call requires field "url"/);
    expect(result.stderr).toMatch(/nodes\[1\]\.params\.url: must match pattern/);
    expect(result.stderr).toMatch(
      /nodes\[2\]\.uses: unknown task type prnt \(did you mean print\?\); known types: api_call, command, print/,
    );
    expect((await orch("runs")).stdout).not.toMatch(/r1/);
  });

  it("checks a node a task adds on arrival: its task type, required fields and engine", async () => {
    const { orch, write } = sandbox();
    const wf = write({
      "wf.json": json({ name: "arrival", nodes: [{ id: "adder", run: "adder.py" }] }),
      "adder.py": pyTask('task.add_node("late", uses="print", params={"text": "no message"})'),
    });
    expect((await orch("start", wf, "--run-id", "v1")).exitCode).toBe(1);
    const adder = (await status(orch, "v1")).nodes.find((n) => n.id === "adder");
    expect(adder?.reason).toMatch(
      /add_node late\.params: task type print requires field "message"/,
    );
  });

  it("reports a plugin module that fails to import, naming the file, with its traceback", async () => {
    const { orch, write } = sandbox();
    const wf = write({
      "wf.json": json({
        name: "x",
        plugins: ["p"],
        nodes: [{ id: "a", uses: "print", params: { message: "m" } }],
      }),
      "p/bad.py": "TASK_TYPE = 'bad'\n1 / 0\n",
    });
    const result = await orch("validate", wf);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/plugins: .*p\/bad\.py: Traceback[\s\S]*ZeroDivisionError/);
  });
});

describe("engines", () => {
  it("runs the engine registry fixture with the engine params.engine picks", async () => {
    const { orch } = sandbox();
    expect((await orch("start", fixture("engines"), "--run-id", "e1")).exitCode).toBe(0);
    const s = await status(orch, "e1");
    expect(outputsOf(s, "quiesce")).toEqual({
      result: { engine: "postgres", database: "sales", quiesced: true },
    });
    expect(outputsOf(s, "backup")).toEqual({ result: "backed up\n" });
  });

  it("refuses an unknown engine before running, listing the known ones", async () => {
    const { orch, write } = sandbox();
    const wf = write({
      "wf.json": json({
        name: "oracle",
        plugins: [join(ROOT, "fixtures/engines/plugins")],
        nodes: [{ id: "q", uses: "quiesce_db", params: { database: "d", engine: "oracle" } }],
      }),
    });
    const result = await orch("validate", wf);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(
      /nodes\[0\]\.params\.engine: task type quiesce_db has no engine "oracle"; known engines: mysql, postgres/,
    );
  });
});

describe("orch plugins", () => {
  it("lists the built-ins and a workflow's types with their metadata (--json)", async () => {
    const { orch } = sandbox();
    const result = await orch("plugins", "--workflow", fixture("engines"), "--json");
    expect(result.exitCode).toBe(0);
    const types = z.array(PluginInfoSchema).parse(JSON.parse(result.stdout));
    expect(types.map((t) => t.type)).toEqual([
      "api_call",
      "command",
      "print",
      "quiesce_db",
      "unquiesce_db",
    ]);
    expect(types.find((t) => t.type === "quiesce_db")).toMatchObject({
      version: "2.0",
      required_fields: ["database", "engine"],
      engines: ["mysql", "postgres"],
      source: join(ROOT, "fixtures/engines/plugins/quiesce_db.py"),
    });
    const text = await orch("plugins");
    expect(text.stdout).toMatch(/^api_call 1\.0: Makes an HTTP request/m);
  });
});

describe("the api_call built-in", () => {
  let server: Server;
  let base = "";
  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      request.on("end", () => {
        if (request.url === "/ok") {
          response.writeHead(201, { "content-type": "application/json" });
          response.end(
            JSON.stringify({
              method: request.method,
              got: body ? JSON.parse(body) : null,
              auth: request.headers["x-key"],
            }),
          );
        } else {
          response.writeHead(503);
          response.end(`service down: ${"x".repeat(2000)}`);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("makes a 2xx JSON response the output; another status fails with the status and an excerpt", async () => {
    const { orch, write } = sandbox();
    const wf = write({
      "wf.json": json({
        name: "api",
        nodes: [
          {
            id: "post",
            uses: "api_call",
            params: {
              method: "POST",
              url: `${base}/ok`,
              headers: { "X-Key": "k1" },
              json: { n: 1 },
              timeout: 5,
            },
          },
          { id: "down", uses: "api_call", params: { url: `${base}/down` } },
        ],
      }),
    });
    expect((await orch("start", wf, "--run-id", "a1")).exitCode).toBe(1);
    const s = await status(orch, "a1");
    expect(outputsOf(s, "post")).toEqual({ result: { method: "POST", got: { n: 1 }, auth: "k1" } });
    expect(nodeStatus(s).down).toBe("failed");
    const log = (await orch("logs", "a1", "down")).stdout;
    expect(log).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/down answered 503: service down: x+/);
    expect(log).not.toMatch(/x{600}/);
  });
});

describe("promises naming functions and task types", () => {
  it("terminates a run whose task adds a node of a type the promise does not allow", async () => {
    const { orch, write } = sandbox();
    const wf = write({
      "wf.json": json({
        name: "kept",
        nodes: [
          {
            id: "g",
            call: "grow:grow",
            promises: [{ nodes: { uses: ["print"] } }],
          },
        ],
      }),
      "grow.py": `from orch import task

def grow() -> None:
    task.add_node("ok", uses="print", params={"message": "fine"})
    task.add_node("no", call="grow:grow")
`,
    });
    const result = await orch("start", wf, "--run-id", "k1");
    expect(result.exitCode).toBe(3);
    expect((await status(orch, "k1")).run.reason).toMatch(/call:grow:grow/);
  });
});
