import { describe, expect, it } from "vitest";
import { covers } from "../../src/envelope/covers.js";
import type { Envelope } from "../../src/envelope/model.js";
import { EventRun } from "./event-run.js";
import { envelopeOf } from "./simulate.js";

const wildcardOf = (env: Envelope, node: string) =>
  env.wildcards.find((w) => w.sources.includes(node));

describe("the envelope while a task runs", () => {
  it("does not count a running task's own promise: if it fails, the promise goes with it", () => {
    // a and b may add anything; b promises, while it runs, that no edge will go into c.
    const run = new EventRun({ nodes: ["a", "b", "c"], edges: [["a", "c"]] });
    run.start("b");
    expect(run.promise("b", { scope: "*", no_edges_to: ["c"] })).toBe("ok");
    const during = envelopeOf(run, true);
    expect(wildcardOf(during, "a")?.may_precede_any).toBe(true);
    run.fail("b");
    run.start("a");
    expect(
      run.apply({ kind: "add_node", source: "a", id: "x", run: "x.py", args: [], params: {} }),
    ).toBe("ok");
    expect(run.apply({ kind: "add_edge", source: "a", from: "x", to: "c" })).toBe("ok");
    run.succeed("a");
    // The edge into c, which b's withdrawn promise forbade, is covered by what was drawn.
    expect(covers(during, run.graph)).toBe(true);
  });

  it("counts the promise once the task that made it has succeeded", () => {
    const run = new EventRun({ nodes: ["a", "b", "c"], edges: [["a", "c"]] });
    run.start("b");
    expect(run.promise("b", { scope: "*", no_edges_to: ["c"] })).toBe("ok");
    run.succeed("b");
    const after = envelopeOf(run, true);
    expect(wildcardOf(after, "a")?.rules.edges).toMatchObject({ no_edges_to: ["c"] });
  });

  it("counts a running task's budget from what has committed: a retry may add as many again", () => {
    const run = new EventRun({
      nodes: ["a"],
      promises: [{ scope: "a", nodes: { ids: ["M-*"], max: 2 } }],
    });
    run.start("a");
    for (const id of ["M-1", "M-2"])
      expect(
        run.apply({ kind: "add_node", source: "a", id, run: "m.py", args: [], params: {} }),
      ).toBe("ok");
    const during = envelopeOf(run, true);
    // The staged nodes are drawn, dashed; the wildcard still allows two.
    expect(during.nodes.filter((n) => n.provisional).map((n) => n.id)).toEqual(["M-1", "M-2"]);
    expect(wildcardOf(during, "a")?.rules.nodes).toMatchObject({ max: 2 });
    run.fail("a", true);
    run.start("a");
    for (const id of ["M-3", "M-4"])
      expect(
        run.apply({ kind: "add_node", source: "a", id, run: "m.py", args: [], params: {} }),
      ).toBe("ok");
    run.succeed("a");
    expect(covers(during, run.graph)).toBe(true);
  });
});
