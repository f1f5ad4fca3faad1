import { readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { EnvelopeJsonSchema } from "../../src/envelope/model.js";
import { fixture, sandbox } from "./helpers.js";

type Orch = ReturnType<typeof sandbox>["orch"];

const LoopStatusSchema = z.object({
  run: z.object({ status: z.string() }),
  nodes: z.array(
    z.object({
      id: z.string(),
      status: z.string(),
      attempts: z.number(),
      reason: z.string().nullable(),
      iteration: z.number().nullable(),
      outputs: z.record(z.string(), z.unknown()).nullable(),
      history: z.array(z.object({ attempt: z.number(), status: z.string() })),
    }),
  ),
  edges: z.array(
    z.object({ from: z.string(), to: z.string(), loop: z.boolean(), max: z.number().nullable() }),
  ),
});

const statusOf = async (orch: Orch, run: string) => {
  const status = LoopStatusSchema.parse(JSON.parse((await orch("status", run, "--json")).stdout));
  return { ...status, node: (id: string) => status.nodes.find((n) => n.id === id)! };
};

/** Node ids of a run, sorted. */
const idsOf = (status: { nodes: readonly { id: string }[] }) =>
  status.nodes.map((n) => n.id).sort();

describe("loops", () => {
  it("iterates train -> evaluate until evaluate stops asking; report runs once, after the last", async () => {
    const { orch } = sandbox();
    const run = await orch("start", fixture("converge"), "--run-id", "c-1");
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    const status = await statusOf(orch, "c-1");
    // Scores 0.5, 0.75, 0.875, 0.9375: the fourth reaches the default target 0.9.
    expect(status.node("evaluate").outputs).toEqual({ score: 0.9375, iteration: 4 });
    expect(status.node("train").iteration).toBe(4);
    expect(status.node("evaluate").iteration).toBe(4);
    expect(status.node("evaluate").history.map((h) => h.status)).toEqual([
      "succeeded",
      "succeeded",
      "succeeded",
      "succeeded",
    ]);
    expect(status.node("report").attempts).toBe(1);
    expect(status.node("report").iteration).toBeNull();
    expect(status.node("report").outputs).toEqual({ final: 0.9375 });
    expect(status.edges).toContainEqual({
      from: "evaluate",
      to: "train",
      loop: true,
      max: 10,
    });
    const table = (await orch("status", "c-1")).stdout;
    expect(table).toMatch(/evaluate\s+succeeded\s+4\s+.*iteration 4/);
  });

  it("asking for iteration max + 1 fails the source, naming the loop; what follows is blocked", async () => {
    const { orch } = sandbox();
    const run = await orch(
      "start",
      fixture("converge"),
      "--run-id",
      "c-2",
      "--param",
      "target=0.9999",
    );
    expect(run.exitCode).toBe(1);
    const status = await statusOf(orch, "c-2");
    const evaluate = status.node("evaluate");
    expect(evaluate.status).toBe("failed");
    expect(evaluate.iteration).toBe(10);
    expect(evaluate.reason).toContain("loop evaluate -> train");
    expect(evaluate.reason).toContain("max of 10");
    expect(status.node("report").status).toBe("blocked");
  });

  it("orch validate refuses a loop edge that closes no cycle, and suggests one for a cycle", async () => {
    const { orch, write } = sandbox();
    const noCycle = write({
      "workflow.json": JSON.stringify({
        name: "no-cycle",
        nodes: [
          { id: "a", run: "t.py" },
          { id: "b", run: "t.py" },
        ],
        edges: [
          { from: "a", to: "b" },
          { from: "a", to: "b", loop: true },
        ],
      }),
      "t.py": "",
    });
    const refused = await orch("validate", noCycle);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain("edges[1]");
    expect(refused.stderr).toContain("closes no cycle: b does not reach a");

    const cycle = write({
      "cycle/workflow.json": JSON.stringify({
        name: "cycle",
        nodes: [
          { id: "a", run: "t.py" },
          { id: "b", run: "t.py" },
        ],
        edges: [
          { from: "a", to: "b" },
          { from: "b", to: "a" },
        ],
      }),
      "cycle/t.py": "",
    });
    const suggested = await orch("validate", cycle);
    expect(suggested.exitCode).toBe(2);
    expect(suggested.stderr).toContain('"loop": true');
  });

  it("a loop edge a task adds must close a cycle; a map inside a loop's body is taken back each iteration", async () => {
    const { orch, write } = sandbox();
    /** split -> join -> after, with the loop edge join -> split when `loop`. */
    const mapInLoop = (loop: boolean) =>
      JSON.stringify({
        name: "map-in-loop",
        nodes: [
          { id: "split", run: "split.py" },
          { id: "join", run: "join.py" },
          { id: "after", run: "t.py" },
        ],
        edges: [
          { from: "split", to: "join" },
          { from: "join", to: "after" },
          ...(loop ? [{ from: "join", to: "split", loop: true, max: 5 }] : []),
        ],
      });
    const workflow = write({
      "workflow.json": mapInLoop(false),
      // Iteration k adds k mapped nodes between split and join.
      "split.py": [
        "from orch import task",
        "for i in range(task.iteration):",
        "    task.add_node(f'M-{i}', 't.py')",
        "    task.add_edge('split', f'M-{i}')",
        "    task.add_edge(f'M-{i}', 'join')",
        "",
      ].join("\n"),
      "join.py": ["from orch import task", "if task.iteration < 3:", "    task.again()", ""].join(
        "\n",
      ),
      "t.py": "",
    });
    const noLoop = await orch("start", workflow, "--run-id", "m-0");
    // join asks to go again, but nothing made it a loop's source.
    expect(noLoop.exitCode).toBe(1);
    expect((await statusOf(orch, "m-0")).node("join").reason).toContain(
      "join is the source of no loop edge",
    );

    const looped = write({ "looped.json": mapInLoop(true) });
    const run = await orch("start", looped, "--run-id", "m-1");
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    const status = await statusOf(orch, "m-1");
    // Only the last iteration's map remains; the earlier ones were taken back.
    expect(idsOf(status)).toEqual(["M-0", "M-1", "M-2", "after", "join", "split"]);
    expect(status.node("M-2").iteration).toBe(3);
    expect(status.node("after").attempts).toBe(1);
    expect(status.node("split").attempts).toBe(3);

    const bad = write({
      "bad/workflow.json": JSON.stringify({
        name: "bad-loop",
        nodes: [
          { id: "a", run: "adds.py" },
          { id: "b", run: "../t.py" },
        ],
        edges: [{ from: "a", to: "b" }],
      }),
      "bad/adds.py": "from orch import task\ntask.add_edge('a', 'b', loop=True)\n",
    });
    const refused = await orch("start", bad, "--run-id", "b-1");
    expect(refused.exitCode).toBe(1);
    expect((await statusOf(orch, "b-1")).node("a").reason).toContain(
      "loop edge a -> b closes no cycle",
    );
  });

  it("a loop inside a map: each mapped item iterates on its own", async () => {
    const { orch, write } = sandbox();
    const workflow = write({
      "workflow.json": JSON.stringify({
        name: "loop-in-map",
        nodes: [
          { id: "fan", run: "fan.py" },
          { id: "gather", run: "t.py" },
        ],
        edges: [{ from: "fan", to: "gather" }],
      }),
      // Item i runs step -> check, and check goes again until iteration i + 1.
      "fan.py": [
        "from orch import task",
        "for i in range(3):",
        "    task.add_node(f'step-{i}', 't.py')",
        "    task.add_node(f'check-{i}', 'check.py', params={'rounds': i + 1})",
        "    task.add_edge('fan', f'step-{i}')",
        "    task.add_edge(f'step-{i}', f'check-{i}')",
        "    task.add_edge(f'check-{i}', 'gather')",
        "    task.add_edge(f'check-{i}', f'step-{i}', loop=True, max=3)",
        "",
      ].join("\n"),
      "check.py": [
        "from orch import task",
        "task.output(iteration=task.iteration)",
        "if task.iteration < task.params['rounds']:",
        "    task.again()",
        "",
      ].join("\n"),
      "t.py": "",
    });
    const run = await orch("start", workflow, "--run-id", "l-1", "--parallel", "2");
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    const status = await statusOf(orch, "l-1");
    for (const i of [0, 1, 2]) {
      expect(status.node(`check-${i}`).outputs).toEqual({ iteration: i + 1 });
      expect(status.node(`step-${i}`).attempts).toBe(i + 1);
    }
    expect(status.node("gather").attempts).toBe(1);
  });
});

describe("promises and loop edges", () => {
  /** `a -> grow -> b`; `grow` adds loop edge b -> a (as promised or not), and b goes again until its third iteration. */
  const loopAdder = (write: ReturnType<typeof sandbox>["write"], promise: unknown) =>
    write({
      "workflow.json": JSON.stringify({
        name: "promised-loop",
        nodes: [
          { id: "a", run: "t.py" },
          { id: "grow", run: "grow.py" },
          { id: "b", run: "b.py" },
        ],
        edges: [
          { from: "a", to: "grow" },
          { from: "grow", to: "b" },
        ],
        promises: [promise],
      }),
      "grow.py": "from orch import task\ntask.add_edge('b', 'a', loop=True, max=4)\n",
      "b.py": [
        "from orch import task",
        "task.output(iteration=task.iteration)",
        "if task.iteration < 3:",
        "    task.again()",
        "",
      ].join("\n"),
      "t.py": "",
    });

  it('a scope promised "edges": false cannot add a loop edge: the run is terminated, naming the promise', async () => {
    const { orch, write } = sandbox();
    const workflow = loopAdder(write, { scope: "grow", edges: false });
    const run = await orch("start", workflow, "--run-id", "p-1");
    expect(run.exitCode, run.stdout + run.stderr).toBe(3);
    expect(run.stdout).toMatch(
      /promise #0 \(\S*workflow\.json promises\[0\], scope grow\) rule edges broken by grow added loop edge b -> a: the scope may add no edges/,
    );
    const status = await statusOf(orch, "p-1");
    expect(status.run.status).toBe("terminated");
  });

  it("ordinary edge patterns do not let a scope add a loop edge", async () => {
    const { orch, write } = sandbox();
    const workflow = loopAdder(write, {
      scope: "grow",
      edges: [{ from: "*", to: "*" }],
    });
    const run = await orch("start", workflow, "--run-id", "p-2");
    expect(run.exitCode, run.stdout + run.stderr).toBe(3);
    expect(run.stdout).toMatch(
      /promise #0 \(\S*workflow\.json promises\[0\], scope grow\) rule edges broken by grow added loop edge b -> a/,
    );
    expect(run.stdout).toContain('a loop edge matches only a pattern with "loop": true');
  });

  it('a pattern with "loop": true lets the scope add the loop, and the loop iterates', async () => {
    const { orch, write } = sandbox();
    const workflow = loopAdder(write, {
      scope: "grow",
      edges: [{ from: "b", to: "a", loop: true }],
    });
    const run = await orch("start", workflow, "--run-id", "p-3");
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    const status = await statusOf(orch, "p-3");
    expect(status.run.status).toBe("succeeded");
    expect(status.edges).toContainEqual({ from: "b", to: "a", loop: true, max: 4 });
    expect(status.node("b").outputs).toEqual({ iteration: 3 });
    expect(status.node("a").attempts).toBe(3);
  });
});

describe("orch graph and loop edges", () => {
  const LOOP = { from: "evaluate", to: "train", loop: true, max: 10 };

  it("draws the loop back, labelled ↻ ≤10, before, during and after the run", async () => {
    const sb = sandbox();
    const draw = async (target: string, ext: "json" | "dot", ...more: string[]) => {
      const out = join(sb.dir, `g-${Math.random().toString(16).slice(2)}.${ext}`);
      const result = await sb.orch("graph", target, "--out", out, ...more);
      expect(result.exitCode, result.stderr).toBe(0);
      return readFileSync(out, "utf8");
    };
    const loopsIn = (json: string) =>
      EnvelopeJsonSchema.parse(JSON.parse(json)).edges.filter((e) => e.loop);
    const loopDot =
      /"evaluate" -> "train" \[[^\]]*constraint = false;[^\]]*label = <<b>↻ ≤10<\/b>>;/;

    // Before: from the workflow file.
    expect(loopsIn(await draw(fixture("converge"), "json"))).toMatchObject([LOOP]);
    expect(await draw(fixture("converge"), "dot")).toMatch(loopDot);

    expect((await sb.orch("start", fixture("converge"), "--run-id", "g-1")).exitCode).toBe(0);
    // During: the second iteration, as it was when its loop_again event was recorded.
    const db = new Database(sb.db, { readonly: true });
    const again = db
      .prepare("SELECT seq FROM events WHERE run_id = 'g-1' AND type = 'loop_again' ORDER BY seq")
      .pluck()
      .get() as number | undefined;
    db.close();
    expect(again).toBeDefined();
    const at = String(again);
    const during = await draw("g-1", "json", "--at", at);
    expect(loopsIn(during)).toMatchObject([LOOP]);
    expect(
      EnvelopeJsonSchema.parse(JSON.parse(during)).nodes.find((n) => n.id === "report")?.status,
    ).toBe("pending");
    expect(await draw("g-1", "dot", "--at", at)).toMatch(loopDot);

    // After.
    expect(loopsIn(await draw("g-1", "json"))).toMatchObject([LOOP]);
    expect(await draw("g-1", "dot")).toMatch(loopDot);
  });
});
