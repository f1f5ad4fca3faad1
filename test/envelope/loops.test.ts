import { describe, expect, it } from "vitest";
import { covers } from "../../src/envelope/covers.js";
import { computeEnvelope } from "../../src/envelope/envelope.js";
import { SimRun } from "./run.js";

/** train -> evaluate -> report, loop evaluate -> train; train may add one node. */
const converge = () =>
  new SimRun({
    nodes: ["train", "evaluate", "report"],
    edges: [
      ["train", "evaluate"],
      ["evaluate", "report"],
    ],
    loops: [["evaluate", "train", 10]],
    promises: [{ scope: "train", nodes: { max: 1 } }],
  });

describe("the envelope while a loop may go again", () => {
  it("marks what the next iteration resets or takes back, and keeps the body's wildcards", () => {
    const run = converge();
    run.start("train");
    expect(run.addNode("train", "N-1")).toBe("ok");
    run.succeed("train");
    run.start("evaluate");
    const env = computeEnvelope(run.graph, run.book, { expand: true });
    const reset = Object.fromEntries(env.nodes.map((n) => [n.id, n.loop_reset ?? null]));
    expect(reset).toEqual({
      train: "again",
      evaluate: "again",
      report: "again",
      "N-1": "taken_back",
    });
    // train has succeeded and used its budget, yet it may run again and add one node more.
    const train = env.wildcards.find((w) => w.from === "train");
    expect(train?.sources).toContain("train");
    expect(train?.rules.nodes).toMatchObject({ max: 1 });
  });

  it("once the loop's source has succeeded without going again, nothing is marked", () => {
    const run = converge();
    run.start("train");
    run.addNode("train", "N-1");
    run.succeed("train");
    run.run("evaluate");
    const env = computeEnvelope(run.graph, run.book, { expand: true });
    expect(env.nodes.filter((n) => n.loop_reset !== undefined)).toEqual([]);
    // Only N-1, not run yet, may still add under train's promise; train itself is done.
    expect(env.wildcards.find((w) => w.from === "train")?.sources).toEqual(["N-1"]);
  });

  it("a loop going again resets the body in the simulated run as the engine does", () => {
    const run = converge();
    run.start("train");
    run.addNode("train", "N-1");
    run.succeed("train");
    run.start("evaluate");
    const next = run.again("evaluate");
    expect([...next.graph.nodes()].map((n) => [n.id, n.status])).toEqual([
      ["train", "pending"],
      ["evaluate", "pending"],
      ["report", "pending"],
    ]);
    expect(next.graph.loop("evaluate", "train")?.max).toBe(10);
  });

  it("a scope that may only add edges keeps its wildcard while the only node it may lead into is one a loop may run again", () => {
    const run = new SimRun({
      nodes: ["n0", "n1"],
      loops: [["n0", "n0", 3]],
      promises: [{ scope: "n1", nodes: false }],
    });
    run.start("n0");
    run.start("n1");
    // n0 has started, but going again it is pending once more, and n1 may then add an edge into it.
    const env = computeEnvelope(run.graph, run.book, { expand: true });
    expect(env.wildcards.find((w) => w.from === "n1")?.may_precede_any).toBe(true);
    const next = run.again("n0");
    expect(next.addEdge("n1", "n1", "n0")).toBe("ok");
    expect(covers(env, next.graph)).toBe(true);
  });
});
