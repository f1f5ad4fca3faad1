import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EnvelopeJsonSchema } from "../../src/envelope/model.js";
import { fixture, sandbox, status } from "./helpers.js";

type Sandbox = ReturnType<typeof sandbox>;

const draw = async (sb: Sandbox, ext: "json" | "svg", ...target: string[]) => {
  const out = join(sb.dir, `g-${Math.random().toString(16).slice(2)}.${ext}`);
  const result = await sb.orch("graph", ...target, "--out", out);
  expect(result.exitCode, result.stderr).toBe(0);
  return readFileSync(out, "utf8");
};

const drawJson = async (sb: Sandbox, ...target: string[]) =>
  EnvelopeJsonSchema.parse(JSON.parse(await draw(sb, "json", ...target)));

/** Runs `workflow` once per seed; the number of nodes `creator` added in each run. */
const runSeeds = async (
  sb: Sandbox,
  workflow: string,
  seeds: readonly number[],
  creator: string,
) => {
  const counts: number[] = [];
  for (const [i, seed] of seeds.entries()) {
    process.env.ORCH_SEED = String(seed);
    try {
      const result = await sb.orch("start", workflow, "--run-id", `s${i}`);
      expect(result.exitCode, result.stderr).toBe(0);
    } finally {
      delete process.env.ORCH_SEED;
    }
    const s = await status(sb.orch, `s${i}`);
    counts.push(s.nodes.filter((n) => n.created_by === creator).length);
  }
  return counts;
};

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

describe("orch graph with earlier runs of the workflow", () => {
  it("annotates the random map's wildcard with the count range and median of the earlier runs", async () => {
    const sb = sandbox();
    const before = await drawJson(sb, fixture("map"));
    expect(before.wildcards[0]?.history).toBeUndefined();
    const counts = await runSeeds(sb, fixture("map"), [2, 3, 4], "A");
    expect(new Set(counts).size).toBeGreaterThan(1);
    const range = { min: Math.min(...counts), max: Math.max(...counts), median: median(counts) };
    const env = await drawJson(sb, fixture("map"));
    const [w] = env.wildcards;
    expect(w?.history).toEqual({ runs: 3, added: range });
    expect(w?.alternatives?.[0]?.history).toEqual({ runs: 3 });
    expect(w?.alternatives?.[0]?.nodes[0]?.history).toEqual(range);
    const text = `M-* (tasks/m.py) ×0..∞ — last 3 runs: ${range.min}–${range.max}, median ${range.median}`;
    expect(w?.label).toBe(text);
    const svg = await draw(sb, "svg", fixture("map"));
    expect(svg).toContain(`last 3 runs: ${range.min}–${range.max}, median ${range.median}`);
  });

  it("gives each option of the random branch its share of the earlier runs", async () => {
    const sb = sandbox();
    // ORCH_SEED=3 takes `a`, 2 takes `b1 -> b2`.
    await runSeeds(sb, fixture("branch"), [3, 2, 3], "choose");
    const env = await drawJson(sb, fixture("branch"));
    const alts = env.wildcards[0]?.alternatives ?? [];
    expect(alts.map((a) => a.history?.runs)).toEqual([2, 1]);
    expect(env.wildcards[0]?.label).toContain("(option 1: 2 of 3 runs)");
    const svg = await draw(sb, "svg", fixture("branch"));
    expect(svg).toContain("option 1: 2 of 3 runs");
    expect(svg).toContain("option 2: 1 of 3 runs");
  });
});
