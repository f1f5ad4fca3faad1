import { describe, expect, it } from "vitest";
import { NESTED_MAP, RECURSIVE_SPLIT } from "../envelope/fixtures.js";
import { SimRun } from "../envelope/run.js";

/** What adding node `id` (running `script`) by `source` would break, without adding it. */
const checkAdd = (run: SimRun, source: string, id: string, script: string) =>
  run.book.check({ kind: "add_node", source, id, run: script, args: [], params: {} });

/** A map instance `M-i` added by A with both its edges, as the outer template wants. */
const addM = (run: SimRun, m: string) => {
  expect(run.addNode("A", m, "m.py")).toBe("ok");
  expect(run.addEdge("A", "A", m)).toBe("ok");
  expect(run.addEdge("A", m, "B")).toBe("ok");
};

describe("slot promises: the nested map", () => {
  it("each instance is given the inner shape and grows under it, not under the outer template", () => {
    const run = new SimRun(NESTED_MAP);
    run.start("A");
    addM(run, "M-1");
    run.succeed("A");
    expect(run.book.effective("M-1").map((p) => p.scope)).toContain("M-1");
    run.start("M-1");
    expect(run.addNode("M-1", "N-1", "n.py")).toBe("ok");
    expect(run.addEdge("M-1", "M-1", "N-1")).toBe("ok");
    expect(run.addEdge("M-1", "N-1", "B")).toBe("ok");
    run.succeed("M-1");
    run.run("N-1");
    expect(run.broken).toBeNull();
    expect(run.book.heldBack("B")).toBeNull();
  });

  it("enforces the inner shape: an instance adding what its slot's shape does not allow breaks it", () => {
    const run = new SimRun(NESTED_MAP);
    run.start("A");
    addM(run, "M-1");
    run.succeed("A");
    run.start("M-1");
    const v = checkAdd(run, "M-1", "X-1", "n.py");
    expect(v?.promise.scope).toBe("M-1");
    expect(v?.promise.origin).toMatchObject({
      path: "promises[0].shape.one_of[0].nodes[0].promises[0]",
    });
    expect(v?.why).toMatch(/node X-1 \(run n.py\) matches no slot/);
  });

  it("enforces the outer shape on A: an N node added by A itself breaks it", () => {
    const run = new SimRun(NESTED_MAP);
    run.start("A");
    const v = checkAdd(run, "A", "N-1", "n.py");
    expect(v?.promise.scope).toBe("A");
  });

  it("holds B back while an instance may still add N edges into it, and breaks when one is forgotten", () => {
    const run = new SimRun(NESTED_MAP);
    run.start("A");
    addM(run, "M-1");
    run.succeed("A");
    run.start("M-1");
    expect(run.addNode("M-1", "N-1", "n.py")).toBe("ok");
    expect(run.addEdge("M-1", "M-1", "N-1")).toBe("ok");
    run.succeed("M-1");
    expect(run.book.heldBack("B")).toMatch(/scope M-1\) may still add edges N-\* -> B/);
    run.run("N-1");
    expect(run.broken?.promise.scope).toBe("M-1");
    expect(run.broken?.why).toMatch(/missing N-1 -> B/);
  });
});

describe("named shapes: the recursive split", () => {
  const split = (run: SimRun, node: string) => {
    run.start(node);
    for (const side of ["l", "r"]) {
      expect(run.addNode(node, `${node}-${side}`, "split.py")).toBe("ok");
      expect(run.addEdge(node, node, `${node}-${side}`)).toBe("ok");
      expect(run.addEdge(node, `${node}-${side}`, "join")).toBe("ok");
    }
    run.succeed(node);
  };

  it("splits three levels deep under one finite promise, each level checked by its own copy", () => {
    const run = new SimRun(RECURSIVE_SPLIT);
    split(run, "s");
    split(run, "s-l");
    split(run, "s-l-r");
    for (const leaf of ["s-r", "s-l-l", "s-l-r-l", "s-l-r-r"]) run.run(leaf);
    expect(run.broken).toBeNull();
    expect(run.book.all().filter((p) => p.rules.shape?.ref === "split")).toHaveLength(7);
    expect(run.book.heldBack("join")).toBeNull();
  });

  it("refuses a third child at any depth", () => {
    const run = new SimRun(RECURSIVE_SPLIT);
    split(run, "s");
    split(run, "s-l");
    run.start("s-l-l");
    expect(run.addNode("s-l-l", "s-l-l-l", "split.py")).toBe("ok");
    expect(run.addNode("s-l-l", "s-l-l-r", "split.py")).toBe("ok");
    const v = checkAdd(run, "s-l-l", "s-l-l-x-l", "split.py");
    expect(v?.promise.scope).toBe("s-l-l");
    expect(v?.rule).toBe("shape");
  });

  it("a ref naming no shape is a broken promise when made, with a suggestion", () => {
    const run = new SimRun({
      ...RECURSIVE_SPLIT,
      promises: [{ scope: "s", shape: { ref: "splt" } }],
    });
    expect(run.broken?.why).toMatch(
      /shape ref "splt" names no shape of the workflow \(did you mean "split"\?\)/,
    );
  });
});

describe("slot promises broken as they are given", () => {
  it("an instance whose slot shape needs an edge into a node that has started breaks the outer shape", () => {
    const run = new SimRun({
      nodes: ["A", "Z"],
      shapes: { inner: { one_of: [{ nodes: [], edges: [{ from: "$self", to: "Z" }] }] } },
      promises: [
        {
          scope: "A",
          shape: {
            one_of: [
              {
                nodes: [{ id: "b", run: "m.py", promises: [{ shape: { ref: "inner" } }] }],
                edges: [],
              },
            ],
          },
        },
      ],
    });
    run.start("Z");
    run.start("A");
    expect(run.addNode("A", "b", "m.py")).toBe("ok");
    // The instance could never add its edge into Z, which has started: nothing it adds is free.
    expect(run.broken?.promise.scope).toBe("b");
    expect(run.broken?.promise.origin).toMatchObject({
      path: "promises[0].shape.one_of[0].nodes[0].promises[0]",
    });
    expect(run.broken?.why).toMatch(/Z has already started/);
  });
});

describe("an instance growing under its own shape", () => {
  it("breaks the outer shape once that can no longer be completed: what grows inside grows its scope", () => {
    const run = new SimRun({
      nodes: ["A", "Z"],
      shapes: {
        inner: { one_of: [{ nodes: [{ id: "N-*", run: "n.py", count: "*" }], edges: [] }] },
      },
      promises: [
        {
          scope: "A",
          shape: {
            one_of: [
              {
                nodes: [{ id: "b", run: "m.py", promises: [{ shape: { ref: "inner" } }] }],
                edges: [{ from: "b", to: "Z" }],
              },
            ],
          },
        },
      ],
    });
    run.start("A");
    expect(run.addNode("A", "b", "m.py")).toBe("ok");
    run.succeed("A");
    // Z starts before A's scope has added the edge b -> Z its shape needs.
    run.start("Z");
    run.start("b");
    expect(run.addNode("b", "N-1", "n.py")).toBe("broken");
    const v = checkAdd(run, "b", "N-1", "n.py");
    expect(v?.promise.scope).toBe("A");
    expect(v?.why).toMatch(/can no longer become .*Z has already started/);
  });
});
