import { performance } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { computeEnvelope } from "../../src/envelope/envelope.js";
import { toSvg } from "../../src/render/svg.js";
import { MAP } from "../envelope/fixtures.js";
import { SimRun } from "../envelope/run.js";

const N = 10_000;

const timed = async <T>(what: string, f: () => T | Promise<T>): Promise<T> => {
  const start = performance.now();
  const value = await f();
  console.log(`${what}: ${Math.round(performance.now() - start)} ms`);
  return value;
};

/** A map that fanned out to N tasks: some done, a few running, the rest pending. */
const bigMap = (): SimRun => {
  const run = new SimRun(MAP);
  run.start("A");
  for (let i = 0; i < N; i++) {
    run.addNode("A", `M-${i}`);
    run.addEdge("A", "A", `M-${i}`);
    run.addEdge("A", `M-${i}`, "B");
  }
  run.succeed("A");
  for (let i = 0; i < N * 0.6; i++) run.run(`M-${i}`);
  for (let i = N * 0.6; i < N * 0.6 + 8; i++) run.start(`M-${i}`);
  return run;
};

/** An unconstrained node that added N unconstrained tasks: every one may still add anything. */
const bigFanout = (): SimRun => {
  const run = new SimRun({ nodes: ["root", "sink"], edges: [["root", "sink"]] });
  run.start("root");
  for (let i = 0; i < N; i++) {
    run.addNode("root", `t-${i}`, "t.py");
    run.addEdge("root", `t-${i}`, "sink");
  }
  run.succeed("root");
  return run;
};

describe("large runs", () => {
  it.each([
    ["a 10,000-task map", bigMap],
    ["10,000 unconstrained tasks", bigFanout],
  ])("renders %s to SVG with stacking on", async (name, build) => {
    const run = await timed(`${name}: build the run`, build);
    const envelope = await timed(`${name}: envelope`, () => computeEnvelope(run.graph, run.book));
    const svg = await timed(`${name}: SVG`, () => toSvg(envelope, { title: name }));
    expect(envelope.nodes.length).toBeLessThan(10);
    expect(svg).toContain("<svg");
  });
});
