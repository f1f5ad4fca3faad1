import { describe, expect, it } from "vitest";
import { describeViolation } from "../../src/promises/describe.js";
import type { SlotCount } from "../../src/promises/schema.js";
import { BRANCH_PROMISE, mapPromise } from "../support/seed-promises.js";
import { Harness, violationOf } from "./harness.js";

const branch = () => {
  const h = new Harness({
    nodes: ["start", "choose", "end"],
    edges: [
      ["start", "choose"],
      ["choose", "end"],
    ],
    promises: [BRANCH_PROMISE],
  });
  h.run("start");
  h.start("choose");
  return h;
};

const map = (count: SlotCount = "*") => {
  const h = new Harness({ nodes: ["A", "B"], edges: [["A", "B"]], promises: [mapPromise(count)] });
  h.start("A");
  return h;
};

/** A adds M-0..M-(n-1) with both their edges. */
const fan = (h: Harness, n: number) => {
  for (let i = 0; i < n; i++) {
    expect(h.addNode("A", `M-${i}`).ok).toBe(true);
    expect(h.addEdge("A", "A", `M-${i}`).ok).toBe(true);
    expect(h.addEdge("A", `M-${i}`, "B").ok).toBe(true);
  }
};

/** Settles A and every node A created; returns all violations. */
const finishScope = (h: Harness, root = "A") => {
  const out = h.finish(root);
  for (const id of h.graph.createdBy(root)) out.push(...h.run(id));
  return out;
};

describe("shape: random branch", () => {
  it("accepts the first alternative and passes the final check", () => {
    const h = branch();
    expect(h.addNode("choose", "a", "a.py").ok).toBe(true);
    expect(h.addEdge("choose", "choose", "a").ok).toBe(true);
    expect(h.addEdge("choose", "a", "end").ok).toBe(true);
    const progress = h.book.progress(0);
    expect(progress.alternatives.map((a) => a.alive)).toEqual([true, false]);
    expect(progress.alternatives[1]?.why).toBe(
      'node a (run a.py) matches no slot (slots: "b1" (run b.py), "b2" (run b.py))',
    );
    expect(h.finish("choose")).toEqual([]);
    expect(h.run("a")).toEqual([]);
  });

  it("accepts the second alternative", () => {
    const h = branch();
    h.addNode("choose", "b1", "b.py");
    h.addNode("choose", "b2", "./b.py");
    h.addEdge("choose", "choose", "b1");
    h.addEdge("choose", "b1", "b2");
    expect(h.addEdge("choose", "b2", "end").ok).toBe(true);
    expect(finishScope(h, "choose")).toEqual([]);
  });

  it("stops a branch that adds both alternatives at the first node of the second", () => {
    const h = branch();
    h.addNode("choose", "a", "a.py");
    h.addEdge("choose", "choose", "a");
    h.addEdge("choose", "a", "end");
    const v = violationOf(h.addNode("choose", "b1", "b.py"));
    expect(v?.rule).toBe("shape");
    expect(describeViolation(v!)).toBe(
      "promise #0 (workflow.json promises[0], scope choose) rule shape broken by choose added node b1 (run b.py): " +
        "the scope's additions can no longer become any of the 2 templates (" +
        'one_of[0]: node b1 (run b.py) matches no slot (slots: "a" (run a.py)); ' +
        'one_of[1]: already ruled out: node a (run a.py) matches no slot (slots: "b1" (run b.py), "b2" (run b.py)))',
    );
  });

  it("rejects an edge the template does not have", () => {
    const h = branch();
    h.addNode("choose", "a", "a.py");
    const v = violationOf(h.addEdge("choose", "start", "a"));
    expect(v?.why).toContain("edge start -> a is not in the template (it would be start -> a)");
  });

  it("rejects a second instance of a count-1 slot", () => {
    const h = branch();
    h.addNode("choose", "b1", "b.py");
    h.addNode("choose", "b2", "b.py");
    const v = violationOf(h.addNode("choose", "b2x", "b.py"));
    expect(v?.why).toContain("matches no slot");
    const w = violationOf(
      new Harness({
        nodes: ["X"],
        promises: [{ scope: "X", shape: { one_of: [{ nodes: [{ id: "a*", run: "a.py" }] }] } }],
      }).addNode("X", "a2", "a.py"),
    );
    expect(w).toBeNull();
  });

  it("breaks at completion when an implied edge is missing", () => {
    const h = branch();
    h.addNode("choose", "a", "a.py");
    h.addEdge("choose", "choose", "a");
    expect(h.finish("choose")).toEqual([]);
    const [v] = h.run("a");
    expect(v?.mutation).toBeUndefined();
    expect(describeViolation(v!)).toBe(
      "promise #0 (workflow.json promises[0], scope choose) rule shape broken: " +
        "scope choose has completed, but what it added is not any of the 2 templates (" +
        "one_of[0]: edge a -> end: the scope added 0 of the 1 edge(s) it implies; missing a -> end; " +
        'one_of[1]: node a (run a.py) matches no slot (slots: "b1" (run b.py), "b2" (run b.py)))',
    );
  });

  it("breaks at completion when the scope added nothing", () => {
    const h = branch();
    const [v] = h.finish("choose");
    expect(v?.why).toContain('one_of[0]: slot "a" (run a.py, count 1) has 0 instance(s)');
  });
});

describe("shape: random map", () => {
  it("accepts any number of instances with both edges each", () => {
    const h = map();
    fan(h, 5);
    const progress = h.book.progress(0);
    expect(progress.alternatives[0]?.instances).toEqual([["M-0", "M-1", "M-2", "M-3", "M-4"]]);
    expect(progress.alternatives[0]?.edges).toEqual([
      { present: 5, expected: 5 },
      { present: 5, expected: 5 },
    ]);
    expect(finishScope(h)).toEqual([]);
  });

  it("accepts zero instances for count *", () => {
    const h = map();
    expect(h.finish("A")).toEqual([]);
  });

  it('breaks with zero instances for count "+"', () => {
    const h = map("+");
    const [v] = h.finish("A");
    expect(v?.why).toBe(
      'scope A has completed, but what it added is not the template: slot "M-*" (run m.py, count +) has 0 instance(s)',
    );
  });

  it('accepts zero or one instance for count "?", not two', () => {
    expect(map("?").finish("A")).toEqual([]);
    const h = map("?");
    fan(h, 1);
    expect(violationOf(h.addNode("A", "M-9"))?.why).toBe(
      "the scope's additions can no longer become the template: " +
        'node M-9 (run m.py) would be the 2nd instance of slot "M-*" (run m.py, count ?)',
    );
  });

  it("breaks at completion when an M -> B edge is missing", () => {
    const h = map();
    fan(h, 2);
    h.addNode("A", "M-2");
    h.addEdge("A", "A", "M-2");
    expect(h.finish("A")).toEqual([]);
    expect(h.run("M-0")).toEqual([]);
    expect(h.run("M-1")).toEqual([]);
    const [v] = h.run("M-2");
    expect(v?.why).toBe(
      "scope A has completed, but what it added is not the template: edge M-* -> B: the scope added 2 of the 3 edge(s) it implies; missing M-2 -> B",
    );
  });

  it("counts nodes added deeper in the scope, and their edges", () => {
    const h = map();
    fan(h, 1);
    h.start("M-0");
    expect(h.addNode("M-0", "M-sub", "m.py").ok).toBe(true);
    expect(h.addEdge("M-0", "A", "M-sub").ok).toBe(true);
    expect(h.addEdge("M-0", "M-sub", "B").ok).toBe(true);
    expect(violationOf(h.addEdge("M-0", "M-0", "M-sub"))?.why).toContain(
      "edge M-0 -> M-sub is not in the template (it would be M-* -> M-*)",
    );
  });

  it("an implied edge into a node that has started can never come: the alternative dies at once", () => {
    const h = new Harness({ nodes: ["A", "B"], promises: [mapPromise("*")] });
    h.start("B");
    h.start("A");
    const v = violationOf(h.addNode("A", "M-0"));
    expect(v?.why).toBe(
      "the scope's additions can no longer become the template: edge M-* -> B needs 1 edge(s), the scope has added 0, and B has already started (running)",
    );
  });

  it("edges added by another scope do not count for this one", () => {
    const h = new Harness({
      nodes: ["A", "B", "C"],
      edges: [["A", "B"]],
      promises: [mapPromise("*")],
    });
    h.start("A");
    h.addNode("A", "M-0");
    h.addEdge("A", "A", "M-0");
    h.start("C");
    expect(h.addEdge("C", "M-0", "B").ok).toBe(true);
    h.finish("C");
    expect(h.finish("A")).toEqual([]);
    expect(h.run("M-0")[0]?.why).toContain("edge M-* -> B: the scope added 0 of the 1");
  });

  it("skips the final check when a node of the scope failed", () => {
    const h = map("+");
    expect(h.finish("A", "failed")).toEqual([]);
    expect(h.book.progress(0).incomplete).toBe(true);
  });

  it("a runtime shape promise replays what the scope already added", () => {
    const h = new Harness({ nodes: ["A", "B"], edges: [["A", "B"]] });
    h.start("A");
    h.addNode("A", "M-0");
    h.addEdge("A", "A", "M-0");
    expect(h.promise("A", mapPromise("*"))).toBeNull();
    expect(h.book.progress(0).alternatives[0]?.instances).toEqual([["M-0"]]);
    expect(h.addEdge("A", "M-0", "B").ok).toBe(true);
    expect(violationOf(h.addNode("A", "X", "x.py"))?.why).toContain(
      "node X (run x.py) matches no slot",
    );
  });

  it("a runtime shape promise the scope already broke is itself broken", () => {
    const h = new Harness({ nodes: ["A", "B"], edges: [["A", "B"]] });
    h.start("A");
    h.addNode("A", "M-0");
    h.addNode("A", "X", "x.py");
    const v = h.promise("A", mapPromise("*"));
    expect(v?.mutation).toMatchObject({ kind: "add_node", id: "X" });
  });

  it("a runtime promise on a scope that already completed gets its final check at once", () => {
    const h = new Harness({ nodes: ["A", "B", "C"] });
    h.run("B");
    h.start("A");
    const v = h.promise("A", {
      scope: "B",
      shape: { one_of: [{ nodes: [{ id: "x", run: "x.py", count: "+" }] }] },
    });
    expect(v?.why).toContain("scope B has completed");
    expect(h.promise("A", { scope: "B", shape: { one_of: [{ nodes: [] }] } })).toBeNull();
  });
});

describe("shape over the whole run", () => {
  it("completes when every node of the run has settled", () => {
    const h = new Harness({
      nodes: ["A", "B"],
      promises: [
        { scope: "*", shape: { one_of: [{ nodes: [{ id: "x", run: "x.py", count: "+" }] }] } },
      ],
    });
    expect(h.run("A")).toEqual([]);
    const [v] = h.run("B");
    expect(v?.why).toContain("scope * has completed");
  });

  it("accepts the template once the last node settles", () => {
    const h = new Harness({
      nodes: ["A", "B"],
      promises: [
        { scope: "*", shape: { one_of: [{ nodes: [{ id: "x", run: "x.py", count: "+" }] }] } },
      ],
    });
    h.start("A");
    h.addNode("A", "x", "x.py");
    expect(h.finish("A")).toEqual([]);
    expect(h.run("B")).toEqual([]);
    expect(h.run("x")).toEqual([]);
  });
});

describe("slot assignment is greedy, first slot with room", () => {
  it("fills slots in template order, so an overlapping later slot can be starved", () => {
    const h = new Harness({
      nodes: ["A"],
      promises: [
        {
          scope: "A",
          shape: {
            one_of: [
              {
                nodes: [
                  { id: "M-*", run: "m.py" },
                  { id: "M-1", run: "m.py" },
                ],
              },
            ],
          },
        },
      ],
    });
    h.start("A");
    expect(h.addNode("A", "M-1").ok).toBe(true);
    expect(h.book.progress(0).alternatives[0]?.instances).toEqual([["M-1"], []]);
    // M-2 fits neither: "M-*" is full and "M-2" does not match "M-1".
    expect(violationOf(h.addNode("A", "M-2"))?.why).toContain(
      'would be the 2nd instance of slot "M-*"',
    );
  });
});
