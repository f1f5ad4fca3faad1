import { describe, expect, it } from "vitest";
import { computeEnvelope } from "../../src/envelope/envelope.js";
import { countStates, idPattern, leastFinished } from "../../src/envelope/stack.js";
import { toDot } from "../../src/render/dot.js";
import { MAP } from "./fixtures.js";
import { SimRun } from "./run.js";

/** The random map with A done and M-1..M-6: two succeeded, one running, one failed, two pending. */
const mixedMap = (): SimRun => {
  const run = new SimRun(MAP);
  run.start("A");
  for (const i of [1, 2, 3, 4, 5, 6]) {
    run.addNode("A", `M-${i}`);
    run.addEdge("A", "A", `M-${i}`);
    run.addEdge("A", `M-${i}`, "B");
  }
  run.succeed("A");
  run.run("M-1");
  run.run("M-2");
  run.start("M-3");
  run.start("M-4");
  run.fail("M-4");
  return run;
};

describe("stacks counted by state", () => {
  it("draws the instances of one slot as one stack whatever their states", () => {
    const run = mixedMap();
    const env = computeEnvelope(run.graph, run.book);
    const stack = env.nodes.find((n) => n.count > 1);
    expect(env.nodes.map((n) => n.id)).toEqual(["A", "B", "M-1"]);
    expect(stack?.members).toEqual(["M-1", "M-2", "M-3", "M-4", "M-5", "M-6"]);
    expect(stack?.states).toEqual({ pending: 2, running: 1, failed: 1, succeeded: 2 });
    expect(stack?.status).toBe("pending");
  });

  it("draws every member with --expand", () => {
    const run = mixedMap();
    const env = computeEnvelope(run.graph, run.book, { expand: true });
    expect(env.nodes.filter((n) => n.id.startsWith("M-")).map((n) => [n.id, n.status])).toEqual([
      ["M-1", "succeeded"],
      ["M-2", "succeeded"],
      ["M-3", "running"],
      ["M-4", "failed"],
      ["M-5", "pending"],
      ["M-6", "pending"],
    ]);
    expect(env.nodes.every((n) => n.count === 1)).toBe(true);
  });

  it("labels the stack with its pattern, size and states, striped in the states' colours", () => {
    const run = mixedMap();
    const dot = toDot(computeEnvelope(run.graph, run.book), { title: "t" });
    expect(dot).toContain("M-* ×6");
    expect(dot).toContain("2 succeeded, 1 failed, 1 running, 2 pending");
    expect(dot).toMatch(/style = "striped"/);
    expect(dot).toMatch(
      /fillcolor = "#dcfce7;0\.333:#fee2e2;0\.167:#dbeafe;0\.167:#f8fafc;0\.333"/,
    );
  });

  it("colours a stack by its least finished state", () => {
    expect(leastFinished(countStates(["succeeded", "running", "pending"]))).toBe("pending");
    expect(leastFinished(countStates(["succeeded", "failed"]))).toBe("failed");
    expect(leastFinished(countStates(["succeeded", "running"]))).toBe("running");
  });

  it("names a stack by the common pattern of its ids", () => {
    expect(idPattern(["M-1", "M-2", "M-120"])).toBe("M-*");
    expect(idPattern(["M-1", "M-10", "M-11"])).toBe("M-*");
    expect(idPattern(["part-1.csv", "part-22.csv"])).toBe("part-*.csv");
    expect(idPattern(["left", "right"])).toBe("*t");
    expect(idPattern(["solo"])).toBe("solo");
  });
});
