import { describe, expect, it } from "vitest";
import { describeViolation } from "../../src/promises/describe.js";
import { PromiseSchema } from "../../src/promises/schema.js";
import { validatePromise } from "../../src/promises/validate.js";
import { Harness, violationOf } from "./harness.js";

/** A -> B -> C; B adds edges (a loop C -> A or B -> B, or ordinary ones into C). */
const chain = (promises: unknown[]) =>
  new Harness({
    nodes: ["A", "B", "C"],
    edges: [
      ["A", "B"],
      ["B", "C"],
    ],
    promises,
  });

describe("edge patterns and loop edges", () => {
  it('"edges": false forbids a loop edge', () => {
    const h = chain([{ scope: "B", edges: false }]);
    h.start("B");
    const v = violationOf(h.addLoop("B", "C", "A"));
    expect(v?.rule).toBe("edges");
    expect(describeViolation(v!)).toBe(
      "promise #0 (workflow.json promises[0], scope B) rule edges broken by B added loop edge C -> A: the scope may add no edges",
    );
    expect(h.graph.loop("C", "A")).toBeUndefined();
  });

  it("an ordinary pattern does not match a loop edge, even one it would match as an edge", () => {
    const h = chain([{ scope: "B", edges: [{ from: "*", to: "*" }] }]);
    h.start("B");
    const v = violationOf(h.addLoop("B", "C", "A"));
    expect(v?.rule).toBe("edges");
    expect(v?.why).toBe(
      'every edge must match one of [* -> *] ($self is B), loop edge C -> A matches none (a loop edge matches only a pattern with "loop": true)',
    );
    expect(h.addNode("B", "M-1").ok).toBe(true);
    expect(h.addEdge("B", "M-1", "C").ok).toBe(true);
  });

  it('a pattern with "loop": true matches loop edges only', () => {
    const h = chain([{ scope: "B", edges: [{ from: "C", to: "A", loop: true }] }]);
    h.start("B");
    expect(h.addLoop("B", "C", "A").ok).toBe(true);
    expect(h.graph.loop("C", "A")?.max).toBe(5);
    h.addNode("B", "M-1");
    const v = violationOf(h.addEdge("B", "M-1", "C"));
    expect(v?.why).toBe(
      "every edge must match one of [C -> A (loop)] ($self is B), M-1 -> C matches none",
    );
  });

  it("loop patterns take $self and globs like any other", () => {
    const h = chain([{ scope: "*", edges: [{ from: "$self", to: "$self", loop: true }] }]);
    h.start("B");
    expect(violationOf(h.addLoop("B", "C", "A"))?.rule).toBe("edges");
    expect(h.addLoop("B", "B", "B").ok).toBe(true);
  });

  it("no_edges_from and no_edges_to hold for loop edges too", () => {
    const h = chain([{ scope: "*", no_edges_to: ["A"] }]);
    h.start("B");
    expect(violationOf(h.addLoop("B", "C", "A"))?.rule).toBe("no_edges_to");
    expect(h.addLoop("B", "B", "B").ok).toBe(true);
  });

  it("a shape's templates hold no loop edge", () => {
    const h = chain([
      { scope: "B", shape: { one_of: [{ nodes: [], edges: [{ from: "C", to: "A" }] }] } },
    ]);
    h.start("B");
    const v = violationOf(h.addLoop("B", "C", "A"));
    expect(v?.rule).toBe("shape");
    expect(v?.why).toContain(
      "loop edge C -> A is not in the template (a template has no loop edges)",
    );
  });
});

describe("the loop key of an edge pattern", () => {
  it("is a boolean", () => {
    const parsed = PromiseSchema.safeParse({
      scope: "*",
      edges: [{ from: "a", to: "b", loop: "yes" }],
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toContain('"loop" is true');
  });

  it("is named among the keys a pattern takes", () => {
    const parsed = PromiseSchema.safeParse({
      scope: "*",
      edges: [{ from: "a", to: "b", lop: true }],
    });
    expect(parsed.error?.issues[0]?.message).toContain('unknown key "lop"');
    expect(parsed.error?.issues[0]?.message).toContain("from, to and loop");
  });

  it("passes validation", () => {
    const def = PromiseSchema.parse({
      scope: "*",
      edges: [{ from: "$self", to: "a", loop: true }],
    });
    const issues = validatePromise(def, {
      path: "promises[0]",
      nodeExists: () => true,
      allowSelf: false,
    });
    expect(issues).toEqual([]);
  });
});
