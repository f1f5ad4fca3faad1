import { describe, expect, it } from "vitest";
import { computeEnvelope } from "../../src/envelope/envelope.js";
import { toSvg } from "../../src/render/svg.js";
import { SimRun } from "../envelope/run.js";
import { overflows, textWidth } from "./text-fit.js";

const LONG = "extract-customer-orders-from-the-warehouse-WWWW-MMMM-2026-11-22";

describe("node labels fit their boxes", () => {
  it("measures text as Helvetica sets it", () => {
    expect(textWidth("W", 10, false)).toBeCloseTo(9.44);
    expect(textWidth("ii", 10, true)).toBeCloseTo(5.56);
    expect(textWidth("×", 10, false)).toBe(10);
  });

  it("keeps long ids, long scripts and stacks inside their shapes", async () => {
    const run = new SimRun({
      nodes: [
        [LONG, "tasks/a-script-with-a-rather-long-path/and-a-long-name.py"],
        ["B", "b.py"],
      ],
      edges: [[LONG, "B"]],
      promises: [{ scope: "B", nodes: false, edges: false }],
    });
    run.start(LONG);
    for (const i of [1, 2, 3]) run.addNode(LONG, `${LONG}-part-${i}`);
    const svg = await toSvg(computeEnvelope(run.graph, run.book), { title: "fit" });
    expect(svg).toContain("WWWW");
    expect(overflows(svg)).toEqual([]);
  });
});
