import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EnvelopeJsonSchema } from "../../src/envelope/model.js";
import { fixture, pyTask, sandbox } from "./helpers.js";

type Sandbox = ReturnType<typeof sandbox>;

const drawJson = async (sb: Sandbox, ...target: string[]) => {
  const out = join(sb.dir, `g-${Math.random().toString(16).slice(2)}.json`);
  const result = await sb.orch("graph", ...target, "--out", out);
  expect(result.exitCode, result.stderr).toBe(0);
  return EnvelopeJsonSchema.parse(JSON.parse(readFileSync(out, "utf8")));
};

describe("orch graph", () => {
  it("draws a workflow file's pre-run envelope: the static diamond has no wildcard", async () => {
    const sb = sandbox();
    const env = await drawJson(sb, fixture("diamond"));
    expect(env.wildcards).toEqual([]);
    expect(env.nodes.flatMap((n) => n.members).sort()).toEqual(["end", "left", "right", "start"]);
  });

  it("draws the random map before it runs as A -> M ×0..∞ -> B", async () => {
    const env = await drawJson(sandbox(), fixture("map"));
    expect(env.wildcards).toHaveLength(1);
    const [wildcard] = env.wildcards;
    expect(wildcard?.from).toBe("A");
    expect(wildcard?.label).toBe("M-* (tasks/m.py) ×0..∞");
    expect(wildcard?.may_precede).toEqual(["B"]);
  });

  it("draws the random branch before it runs as exactly its two alternatives", async () => {
    const env = await drawJson(sandbox(), fixture("branch"));
    expect(env.wildcards).toHaveLength(1);
    const alternatives = env.wildcards[0]?.alternatives ?? [];
    expect(alternatives.map((a) => a.nodes.map((n) => n.id))).toEqual([["a"], ["b1", "b2"]]);
  });

  it("draws a finished run as its final graph, and an earlier moment with --at", async () => {
    const sb = sandbox();
    expect((await sb.orch("start", fixture("map"), "--run-id", "m")).exitCode).toBe(0);
    const final = await drawJson(sb, "m");
    expect(final.wildcards).toEqual([]);
    const before = await drawJson(sb, "m", "--at", "1");
    expect(before.nodes.map((n) => n.id)).toEqual(["A"]);
    // Event 5: the map's two nodes, its edge and both promises are registered.
    const registered = await drawJson(sb, "m", "--at", "5");
    expect(registered.wildcards.map((w) => w.from)).toEqual(["A"]);
    const svg = join(sb.dir, "m.svg");
    expect((await sb.orch("graph", "m", "--out", svg)).exitCode).toBe(0);
    expect(readFileSync(svg, "utf8")).toMatch(/^<\?xml|^<svg/);
    const dot = join(sb.dir, "m.dot");
    expect((await sb.orch("graph", "m", "--out", dot)).exitCode).toBe(0);
    expect(readFileSync(dot, "utf8")).toMatch(/digraph/);
  });

  it("shows what a running task has added, as provisional", async () => {
    const sb = sandbox();
    const file = sb.write({
      "w/workflow.json": JSON.stringify({ name: "live", nodes: [{ id: "a", run: "a.py" }] }),
      "w/a.py": pyTask(
        'import os, time\nif os.environ["ORCH_NODE_ID"] == "a":\n    task.add_node("b", run="a.py")\n    time.sleep(2)',
      ),
    });
    const live = sb.spawnOrch("start", file, "--run-id", "l");
    let seen = false;
    for (let i = 0; i < 40 && !seen; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const env = await drawJson(sb, "l").catch(() => null);
      const b = env?.nodes.find((n) => n.id === "b");
      if (b) {
        expect(b.provisional).toBe(true);
        seen = true;
      }
    }
    expect(seen).toBe(true);
    expect((await live).exitCode).toBe(0);
    const after = await drawJson(sb, "l");
    expect(after.nodes.find((n) => n.id === "b")?.provisional).toBe(false);
  });

  it("refuses an output format it cannot write, and an --at that is not a moment", async () => {
    const sb = sandbox();
    const png = await sb.orch("graph", fixture("diamond"), "--out", join(sb.dir, "g.png"));
    expect(png.exitCode).toBe(2);
    expect(png.stderr).toMatch(/\.png/);
    await sb.orch("start", fixture("diamond"), "--run-id", "d");
    const at = await sb.orch("graph", "d", "--at", "yesterday-ish", "--out", join(sb.dir, "g.svg"));
    expect(at.exitCode).toBe(2);
    expect(at.stderr).toMatch(/--at/);
  });
});

describe("orch validate on promises", () => {
  it("rejects malformed promises with their JSON paths, before anything runs", async () => {
    const sb = sandbox();
    const file = sb.write({
      "w/workflow.json": JSON.stringify({
        name: "bad-promises",
        nodes: [
          { id: "A", run: "a.py" },
          { id: "B", run: "a.py" },
        ],
        promises: [
          { scope: "A", frobnicate: true },
          { scope: "A", nodes: { ids: ["M-["] } },
          { scope: "Nope", nodes: false },
          { scope: "A", nodes: { max: -1 } },
          {
            scope: "A",
            shape: {
              one_of: [{ nodes: [{ id: "M-*", run: "m.py" }], edges: [{ from: "A", to: "Q" }] }],
            },
          },
        ],
      }),
      "w/a.py": "",
    });
    for (const command of ["validate", "start"]) {
      const result = await sb.orch(command, file);
      expect(result.exitCode, command).toBe(2);
      expect(result.stderr).toMatch(/promises\[0\]/);
      expect(result.stderr).toMatch(/frobnicate/);
      expect(result.stderr).toMatch(/promises\[3\]\.nodes/);
    }
    const fixed = sb.write({
      "v/workflow.json": JSON.stringify({
        name: "bad-promises-2",
        nodes: [{ id: "A", run: "a.py" }],
        promises: [
          { scope: "A", nodes: { ids: ["M-["] } },
          { scope: "Nope", nodes: false },
          {
            scope: "A",
            shape: {
              one_of: [{ nodes: [{ id: "M-*", run: "m.py" }], edges: [{ from: "A", to: "Q" }] }],
            },
          },
        ],
      }),
      "v/a.py": "",
    });
    const result = await sb.orch("validate", fixed);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/promises\[0\]\.nodes\.ids\[0\]/);
    expect(result.stderr).toMatch(/promises\[1\]\.scope/);
    expect(result.stderr).toMatch(/promises\[2\]\.shape\.one_of\[0\]\.edges\[0\]\.to/);
    expect((await sb.orch("runs", "--json")).stdout.trim()).toBe("[]");
  });
});

describe("orch graph of a large workflow without promises", { timeout: 300_000 }, () => {
  it("draws a 10,000-node chain as SVG and as JSON that grows linearly, with one note", async () => {
    const sb = sandbox();
    const chain = (n: number) => {
      const nodes = Array.from({ length: n }, (_, i) => ({ id: `n${i}`, run: "t.py" }));
      const edges = nodes.slice(1).map((node, i) => ({ from: `n${i}`, to: node.id }));
      return sb.write({
        [`chain-${n}/workflow.json`]: JSON.stringify({ name: `chain-${n}`, nodes, edges }),
        [`chain-${n}/t.py`]: pyTask(""),
      });
    };
    const big = chain(10_000);
    const small = chain(1_000);
    const env = await drawJson(sb, big);
    expect(env.stats).toMatchObject({ nodes: 10_000, edges: 9_999 });
    expect(env.note).toMatch(/^No promises/);
    expect(env.wildcards.every((w) => w.may_precede_any && w.may_precede.length === 0)).toBe(true);
    const bytes = (file: string) => readFileSync(file).length;
    const bigJson = join(sb.dir, "big.json");
    const smallJson = join(sb.dir, "small.json");
    expect((await sb.orch("graph", big, "--out", bigJson)).exitCode).toBe(0);
    expect((await sb.orch("graph", small, "--out", smallJson)).exitCode).toBe(0);
    // Ten times the nodes, about ten times the bytes (quadratic would be a hundred).
    expect(bytes(bigJson) / bytes(smallJson)).toBeLessThan(12);
    const svg = join(sb.dir, "big.svg");
    const result = await sb.orch("graph", big, "--out", svg);
    expect(result.exitCode, result.stderr).toBe(0);
    const drawn = readFileSync(svg, "utf8");
    expect(drawn).toContain("n9999");
    expect(drawn).toContain("No promises");
    expect(drawn.match(/class="node"/g)?.length).toBe(10_001);
  });
});
