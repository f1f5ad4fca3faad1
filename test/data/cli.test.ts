import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { fixture, sandbox } from "../cli/helpers.js";

const DataStatusSchema = z.object({
  run: z.object({ status: z.string(), reason: z.string().nullable() }),
  nodes: z.array(
    z.object({
      id: z.string(),
      status: z.string(),
      reason: z.string().nullable(),
      inputs: z.unknown(),
      outputs: z.unknown(),
      history: z.array(z.object({ reason: z.string().nullable() })),
    }),
  ),
  edges: z.array(z.object({ from: z.string(), to: z.string() })),
});

const statusOf = async (box: ReturnType<typeof sandbox>, run: string) => {
  const result = await box.orch("status", run, "--json");
  expect(result.exitCode).toBe(0);
  return DataStatusSchema.parse(JSON.parse(result.stdout));
};

const nodeOf = (status: z.infer<typeof DataStatusSchema>, id: string) => {
  const node = status.nodes.find((n) => n.id === id);
  if (!node) throw new Error(`no node ${id}`);
  return node;
};

describe("typed ETL", () => {
  it("passes outputs downstream as inputs, with run parameters; status shows both", async () => {
    const box = sandbox();
    const run = await box.orch(
      "start",
      fixture("etl"),
      "--run-id",
      "etl",
      "--param",
      "min_amount=11",
    );
    expect(run.exitCode).toBe(0);
    const status = await statusOf(box, "etl");
    expect(nodeOf(status, "transform").inputs).toEqual({
      rows: [
        { name: "ada", amount: 30 },
        { name: "bob", amount: 5 },
        { name: "cy", amount: 12 },
      ],
      min_amount: 11,
    });
    expect(nodeOf(status, "load").inputs).toEqual({
      summary: {
        kept: [
          { name: "ada", amount: 30 },
          { name: "cy", amount: 12 },
        ],
        total: 42,
      },
      target: "report.txt",
    });
    expect(nodeOf(status, "load").outputs).toEqual({ written: 2 });
    // The bindings imply the edges: none was written in the file.
    expect(status.edges).toContainEqual(
      expect.objectContaining({ from: "extract", to: "transform" }),
    );
  });

  it("refuses a run parameter that breaks its schema before anything runs (exit 2)", async () => {
    const box = sandbox();
    const run = await box.orch(
      "start",
      fixture("etl"),
      "--run-id",
      "bad",
      "--param",
      "min_amount=-1",
    );
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain("--param min_amount=-1: the value must be >= 0");
    const status = await box.orch("status", "bad", "--json");
    expect(status.exitCode).not.toBe(0);
  });

  it("fails an attempt whose output breaks its declared schema, naming the key", async () => {
    const box = sandbox();
    const workflow = JSON.parse(readFileSync(fixture("etl"), "utf8"));
    workflow.nodes[0].params = { bad: true };
    workflow.$schema = undefined;
    const file = box.write({ "etl/workflow.json": JSON.stringify(workflow) });
    for (const task of ["extract", "transform", "load"]) {
      box.write({
        [`etl/tasks/${task}.py`]: readFileSync(join(fixture("etl"), `../tasks/${task}.py`), "utf8"),
      });
    }
    const run = await box.orch("start", file, "--run-id", "broken");
    expect(run.exitCode).toBe(1);
    const status = await statusOf(box, "broken");
    expect(nodeOf(status, "extract").reason).toMatch(
      /^output rows: at \/1\/amount must be integer/,
    );
    expect(nodeOf(status, "transform").status).toBe("blocked");
  });
});

const TASK = `from orch import task
import json
spec = task.params
if "emit" in spec:
    task.output(spec["emit"])
task.log(json.dumps(task.inputs))
`;

describe("bindings and outputs", () => {
  it("fails the attempt naming a binding with nothing to bind and no default", async () => {
    const box = sandbox();
    const file = box.write({
      "wf.json": JSON.stringify({
        name: "missing",
        nodes: [
          { id: "a", run: "t.py", params: { emit: { other: 1 } } },
          { id: "b", run: "t.py", inputs: { x: { node: "a", output: "x" } } },
        ],
      }),
      "t.py": TASK,
    });
    const run = await box.orch("start", file, "--run-id", "m");
    expect(run.exitCode).toBe(1);
    const status = await statusOf(box, "m");
    expect(nodeOf(status, "b").reason).toBe(
      "input x (output x of a): nothing to bind (a gave no output x) and no default",
    );
  });

  it("fails an attempt giving an output larger than --max-output, naming the key", async () => {
    const box = sandbox();
    const file = box.write({
      "wf.json": JSON.stringify({
        name: "big",
        nodes: [{ id: "a", run: "t.py", params: { emit: { blob: "x".repeat(2000) } } }],
      }),
      "t.py": TASK,
    });
    const run = await box.orch("start", file, "--run-id", "big", "--max-output", "1000");
    expect(run.exitCode).toBe(1);
    const status = await statusOf(box, "big");
    expect(nodeOf(status, "a").reason).toMatch(
      /^output blob is 2002 bytes, over the limit of 1000/,
    );
  });

  it("validate reports an undeclared output and plainly incompatible types with JSON paths", async () => {
    const box = sandbox();
    const file = box.write({
      "wf.json": JSON.stringify({
        name: "types",
        params: { n: { schema: { type: "integer" } } },
        nodes: [
          { id: "a", run: "t.py", outputs: { name: { type: "string" } } },
          {
            id: "b",
            run: "t.py",
            inputs: {
              count: { node: "a", output: "name", schema: { type: "integer" } },
              rows: { node: "a", output: "nmae" },
              k: { param: "m" },
            },
          },
        ],
      }),
      "t.py": TASK,
    });
    const result = await box.orch("validate", file);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(
      'nodes[1].inputs.count.schema: expects {"type":"integer"} but the bound value is declared {"type":"string"}',
    );
    expect(result.stderr).toContain(
      "nodes[1].inputs.rows.output: a declares no output nmae (it declares: name) (did you mean name?)",
    );
    expect(result.stderr).toContain(
      "nodes[1].inputs.k.param: the workflow declares no run parameter m",
    );
  });

  it("a binding or depends_on in add_node implies its edge; the same edge added too is one edge", async () => {
    const box = sandbox();
    const file = box.write({
      "wf.json": JSON.stringify({
        name: "implied",
        nodes: [{ id: "a", run: "adder.py" }],
      }),
      "adder.py": `from orch import task
task.output(v=7)
task.add_node("src", "t.py", params={"emit": {"w": 3}})
task.add_node("c", "t.py", inputs={"w": {"node": "src", "output": "w"}, "lit": {"value": [1]}})
task.add_edge("src", "c")
task.add_node("d", "t.py", depends_on=["src", "c"])
`,
      "t.py": TASK,
    });
    const run = await box.orch("start", file, "--run-id", "impl");
    expect(run.exitCode).toBe(0);
    const status = await statusOf(box, "impl");
    expect(status.edges.filter((e) => e.from === "src" && e.to === "c")).toHaveLength(1);
    expect(nodeOf(status, "c").inputs).toEqual({ w: 3, lit: [1] });
    // add_node carries depends_on as the workflow file does.
    expect(status.edges.filter((e) => e.to === "d").map((e) => e.from)).toEqual(["src", "c"]);
  });
});

describe("collections and branches", () => {
  it("maps over a list and gathers the outputs as a list in creation order", async () => {
    const box = sandbox();
    const run = await box.orch(
      "start",
      fixture("collection"),
      "--run-id",
      "col",
      "--param",
      "numbers=[3,1,2]",
    );
    expect(run.exitCode).toBe(0);
    const status = await statusOf(box, "col");
    expect(nodeOf(status, "sq-1").inputs).toEqual({ x: 1 });
    expect(nodeOf(status, "gather").inputs).toEqual({ squares: [9, 1, 4] });
    expect(nodeOf(status, "gather").outputs).toEqual({ total: 14, count: 3 });
  });

  it("branches on an input under a one_of promise", async () => {
    const box = sandbox();
    for (const [n, branch] of [
      ["2", "small"],
      ["9", "big"],
    ] as const) {
      const run = await box.orch(
        "start",
        fixture("branch-input"),
        "--run-id",
        `b${n}`,
        "--param",
        `n=${n}`,
      );
      expect(run.exitCode).toBe(0);
      const status = await statusOf(box, `b${n}`);
      expect(status.nodes.map((node) => node.id)).toContain(branch);
      expect(nodeOf(status, "route").outputs).toEqual({ branch });
    }
  });
});

describe("cosmetic attributes", () => {
  it("draws file and runtime attrs; --at shows them as they were", async () => {
    const box = sandbox();
    expect((await box.orch("start", fixture("painted"), "--run-id", "p")).exitCode).toBe(0);
    const out = join(box.dir, "p.json");
    expect((await box.orch("graph", "p", "--out", out)).exitCode).toBe(0);
    const envelope = JSON.parse(readFileSync(out, "utf8"));
    const start = envelope.nodes.find((n: { id: string }) => n.id === "start");
    expect(start.attrs).toEqual({
      label: "start done",
      fillcolor: "#ffe4b5",
      style: "bold",
      tooltip: "the first step",
      color: "darkgreen",
    });
    const edge = envelope.edges.find((e: { from: string; to: string }) => e.from === "painter");
    expect(edge.attrs).toEqual({ penwidth: 3, color: "red" });
    const before = join(box.dir, "before.json");
    expect((await box.orch("graph", "p", "--at", "1", "--out", before)).exitCode).toBe(0);
    const early = JSON.parse(readFileSync(before, "utf8"));
    expect(early.nodes.find((n: { id: string }) => n.id === "start").attrs.label).toBe(
      "start here",
    );
    const svg = join(box.dir, "p.svg");
    expect((await box.orch("graph", "p", "--out", svg)).exitCode).toBe(0);
    expect(readFileSync(svg, "utf8")).toContain('fill="#ffe4b5"');
  });

  it("an attrs promise broken by set_attrs terminates the run (exit 3)", async () => {
    const box = sandbox();
    const workflow = JSON.parse(readFileSync(fixture("painted"), "utf8"));
    workflow.nodes[1].params = { forbidden: "fillcolor" };
    workflow.$schema = undefined;
    const file = box.write({
      "wf.json": JSON.stringify(workflow),
      "tasks/paint.py": readFileSync(join(fixture("painted"), "../tasks/paint.py"), "utf8"),
    });
    const run = await box.orch("start", file, "--run-id", "brk");
    expect(run.exitCode).toBe(3);
    const status = await statusOf(box, "brk");
    expect(status.run.status).toBe("terminated");
    expect(status.run.reason).toContain(
      "rule attrs.keys broken: the scope may set only the attrs color, label, penwidth, this sets fillcolor of node painter",
    );
  });

  it("refuses attrs outside the allowed keys in the file, with the path", async () => {
    const box = sandbox();
    const file = box.write({
      "wf.json": JSON.stringify({
        name: "bad-attrs",
        nodes: [{ id: "a", run: "t.py", attrs: { label: 'x" URL="evil' } }],
      }),
      "t.py": TASK,
    });
    const result = await box.orch("validate", file);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("nodes[0].attrs.label");
  });
});
