import { describe, expect, it } from "vitest";
import { describeViolation } from "../../src/promises/describe.js";
import { Harness, violationOf } from "./harness.js";

const two = (promises: unknown[]) =>
  new Harness({ nodes: ["A", "B"], edges: [["A", "B"]], promises });

describe("nodes: false / edges: false", () => {
  it("stops the scope from adding nodes, not other scopes", () => {
    const h = two([{ scope: "A", nodes: false }]);
    h.start("A");
    const v = violationOf(h.addNode("A", "M-1"));
    expect(v?.rule).toBe("nodes");
    expect(v?.why).toBe("the scope may add no nodes");
    expect(h.graph.has("M-1")).toBe(false);
    h.finish("A");
    h.start("B");
    expect(h.addNode("B", "M-1").ok).toBe(true);
  });

  it("stops the scope from adding edges but lets it add nodes", () => {
    const h = two([{ scope: "*", edges: false }]);
    h.start("A");
    expect(h.addNode("A", "M-1").ok).toBe(true);
    const v = violationOf(h.addEdge("A", "M-1", "B"));
    expect(v?.rule).toBe("edges");
    expect(describeViolation(v!)).toBe(
      "promise #0 (workflow.json promises[0], scope *) rule edges broken by A added edge M-1 -> B: the scope may add no edges",
    );
  });
});

describe("nodes: {ids, run, max}", () => {
  it("matches whole ids, with . and : as ordinary characters", () => {
    const h = two([{ scope: "A", nodes: { ids: ["job.*", "x:?", "a.b"] } }]);
    h.start("A");
    for (const ok of ["job.1", "job.", "x:y", "a.b"]) {
      expect(h.addNode("A", ok).ok, ok).toBe(true);
    }
    for (const bad of ["jobs1", "x:yz", "aXb", "job", "xjob.1"]) {
      const v = violationOf(h.addNode("A", bad));
      expect(v?.clause, bad).toBe("nodes.ids");
    }
    expect(violationOf(h.addNode("A", "aXb"))?.why).toBe(
      "node ids must match one of [job.*, x:?, a.b], aXb does not",
    );
  });

  it("lets a leading dot match * (picomatch dot option)", () => {
    const h = two([{ scope: "A", nodes: { ids: ["*"] } }]);
    h.start("A");
    expect(h.addNode("A", ".hidden").ok).toBe(true);
  });

  it("compares scripts as normalized relative paths", () => {
    const h = two([{ scope: "A", nodes: { run: ["./m.py", "tasks/x.py"] } }]);
    h.start("A");
    expect(h.addNode("A", "M-1", "m.py").ok).toBe(true);
    expect(h.addNode("A", "M-2", "./tasks/../m.py").ok).toBe(true);
    expect(h.addNode("A", "M-3", "./tasks//x.py").ok).toBe(true);
    const v = violationOf(h.addNode("A", "M-4", "y.py"));
    expect(v?.clause).toBe("nodes.run");
    expect(v?.why).toBe("scripts must be one of [./m.py, tasks/x.py], y.py is not");
  });

  it("counts every addition of the scope against max, nested creators included", () => {
    const h = two([{ scope: "A", nodes: { max: 2 } }]);
    h.start("A");
    expect(h.addNode("A", "M-1").ok).toBe(true);
    h.start("M-1");
    expect(h.addNode("M-1", "M-1a").ok).toBe(true);
    const v = violationOf(h.addNode("A", "M-2"));
    expect(v?.clause).toBe("nodes.max");
    expect(describeViolation(v!)).toBe(
      "promise #0 (workflow.json promises[0], scope A) rule nodes.max broken by A added node M-2 (run m.py): at most 2 node(s), this would be the 3rd",
    );
  });

  it("counts additions made before a runtime promise", () => {
    const h = two([]);
    h.start("A");
    h.addNode("A", "M-1");
    h.addNode("A", "M-2");
    expect(h.promise("A", { scope: "$self", nodes: { max: 3 } })).toBeNull();
    expect(h.addNode("A", "M-3").ok).toBe(true);
    expect(violationOf(h.addNode("A", "M-4"))?.why).toBe(
      "at most 3 node(s), this would be the 4th",
    );
    expect(h.book.progress(0).addedNodes).toBe(3);
  });

  it("max 0 forbids any node", () => {
    const h = two([{ scope: "A", nodes: { max: 0 } }]);
    h.start("A");
    expect(violationOf(h.addNode("A", "M-1"))?.why).toBe(
      "at most 0 node(s), this would be the 1st",
    );
  });
});

describe("edges: [{from, to}]", () => {
  const promise = {
    scope: "A",
    edges: [
      { from: "$self", to: "$new" },
      { from: "$new", to: "B" },
    ],
  };

  it("accepts $self -> $new and $new -> B, rejects the rest", () => {
    const h = two([promise]);
    h.start("A");
    h.addNode("A", "M-1");
    expect(h.addEdge("A", "A", "M-1").ok).toBe(true);
    expect(h.addEdge("A", "M-1", "B").ok).toBe(true);
    h.addNode("A", "M-2");
    const v = violationOf(h.addEdge("A", "M-2", "M-1"));
    expect(v?.rule).toBe("edges");
    expect(v?.why).toBe(
      "every edge must match one of [$self -> $new, $new -> B] ($self is A), M-2 -> M-1 matches none",
    );
  });

  it("$self is the node that emitted the mutation, even deep in the scope", () => {
    const h = two([promise]);
    h.start("A");
    h.addNode("A", "M-1");
    h.start("M-1");
    h.addNode("M-1", "M-2");
    expect(h.addEdge("M-1", "M-1", "M-2").ok).toBe(true);
    h.addNode("M-1", "M-3");
    expect(violationOf(h.addEdge("M-1", "A", "M-3"))?.why).toContain("($self is M-1)");
  });

  it("$new is only a node this scope added", () => {
    const h = new Harness({
      nodes: ["A", "B", "C"],
      promises: [promise],
    });
    h.start("C");
    h.addNode("C", "X");
    h.start("A");
    expect(violationOf(h.addEdge("A", "A", "X"))?.rule).toBe("edges");
  });

  it("matches globs on both ends", () => {
    const h = two([{ scope: "*", edges: [{ from: "A", to: "M-*" }] }]);
    h.start("A");
    h.addNode("A", "M-1");
    h.addNode("A", "N-1");
    expect(h.addEdge("A", "A", "M-1").ok).toBe(true);
    expect(violationOf(h.addEdge("A", "A", "N-1"))?.rule).toBe("edges");
  });
});

describe("no_edges_from / no_edges_to", () => {
  it("forbids edges starting or ending at matching nodes", () => {
    const h = new Harness({
      nodes: ["A", "B", "Z:1"],
      promises: [{ scope: "*", no_edges_from: ["Z:*"], no_edges_to: ["B"] }],
    });
    h.start("A");
    h.addNode("A", "M-1");
    expect(h.addEdge("A", "A", "M-1").ok).toBe(true);
    const from = violationOf(h.addEdge("A", "Z:1", "M-1"));
    expect(from?.rule).toBe("no_edges_from");
    expect(from?.why).toBe("no edge may start at [Z:*], this one starts at Z:1");
    const to = violationOf(h.addEdge("A", "M-1", "B"));
    expect(to?.rule).toBe("no_edges_to");
    expect(to?.why).toBe("no edge may end at [B], this one ends at B");
  });
});

describe("runtime promises and effective sets", () => {
  it("reaches nodes already in scope and nodes created later", () => {
    const h = two([]);
    h.start("A");
    h.addNode("A", "M-1");
    expect(h.promise("A", { scope: "$self", nodes: { ids: ["M-*"] } })).toBeNull();
    h.finish("A");
    h.start("M-1");
    expect(violationOf(h.addNode("M-1", "X"))?.clause).toBe("nodes.ids");
    expect(h.addNode("M-1", "M-2").ok).toBe(true);
    h.start("M-2");
    expect(violationOf(h.addNode("M-2", "Y"))?.clause).toBe("nodes.ids");
    h.start("B");
    expect(h.addNode("B", "Y").ok).toBe(true);
  });

  it("a runtime * promise reaches every node, now and later", () => {
    const h = two([]);
    h.start("A");
    h.addNode("A", "M-1");
    expect(h.promise("A", { scope: "*", edges: false })).toBeNull();
    h.start("M-1");
    h.addNode("M-1", "M-2");
    h.start("M-2");
    expect(violationOf(h.addEdge("M-2", "M-2", "B"))?.rule).toBe("edges");
    expect(h.book.effective("B").map((p) => p.id)).toEqual([0]);
  });

  it("inherits the creator's set at creation and lists promises in the order made", () => {
    const h = new Harness({
      nodes: ["A", "B"],
      promises: [
        { scope: "B", nodes: false },
        { scope: "*", no_edges_to: ["A"] },
        { scope: "A", nodes: { ids: ["M-*", "N-*"] } },
      ],
    });
    h.start("A");
    h.addNode("A", "M-1");
    h.promise("A", { scope: "$self", edges: [{ from: "$new", to: "$new" }] });
    h.start("M-1");
    h.addNode("M-1", "N-1");
    h.promise("M-1", { scope: "$self", nodes: { max: 5 } });
    expect(h.book.effective("A").map((p) => p.id)).toEqual([1, 2, 3]);
    expect(h.book.effective("M-1").map((p) => p.id)).toEqual([1, 2, 3, 4]);
    expect(h.book.effective("N-1").map((p) => p.id)).toEqual([1, 2, 3, 4]);
    expect(h.book.effective("B").map((p) => p.id)).toEqual([0, 1]);
    expect(h.book.all().map((p) => p.id)).toEqual([0, 1, 2, 3, 4]);
  });

  it("a node's own promise (scope = that node) binds it and what it creates", () => {
    const h = two([]);
    h.start("A");
    h.addNode("A", "M-1");
    expect(h.promise("A", { scope: "M-1", nodes: false })).toBeNull();
    expect(h.addNode("A", "M-2").ok).toBe(true);
    h.start("M-1");
    expect(violationOf(h.addNode("M-1", "X"))?.rule).toBe("nodes");
  });

  it("a promise already broken when made is reported and never comes into force", () => {
    const h = two([]);
    h.start("A");
    h.addNode("A", "M-1");
    h.addEdge("A", "A", "M-1");
    const v = h.promise("A", { scope: "$self", edges: false });
    expect(v?.rule).toBe("edges");
    expect(v?.mutation).toEqual({ kind: "add_edge", source: "A", from: "A", to: "M-1" });
    expect(describeViolation(v!)).toBe(
      "promise #0 (made by A (message line 1), scope A) rule edges broken by A added edge A -> M-1, before the promise was made: the scope may add no edges",
    );
    expect(h.book.all()).toHaveLength(1);
    expect(h.book.progress(0).inForce).toBe(false);
    expect(h.book.effective("A")).toEqual([]);
  });

  it("a made-broken promise names the first addition that breaks it", () => {
    const h = two([]);
    h.start("A");
    for (const id of ["M-1", "M-2", "M-3", "M-4"]) h.addNode("A", id);
    const v = h.promise("A", { scope: "A", nodes: { max: 2 } });
    expect(v?.mutation).toMatchObject({ kind: "add_node", id: "M-3" });
    expect(v?.why).toBe("at most 2 node(s), this would be the 3rd");
  });

  it("reports the earliest-made promise a mutation breaks", () => {
    const h = two([
      { scope: "A", nodes: { ids: ["X"] } },
      { scope: "*", nodes: false },
    ]);
    h.start("A");
    expect(violationOf(h.addNode("A", "M-1"))?.promise.id).toBe(0);
    h.promise("A", { scope: "$self", nodes: { max: 0 } });
    expect(violationOf(h.addNode("A", "X"))?.promise.id).toBe(1);
  });

  it("check changes nothing", () => {
    const h = two([{ scope: "A", nodes: { max: 1 } }]);
    h.start("A");
    const m = {
      kind: "add_node",
      source: "A",
      id: "M-1",
      run: "m.py",
      args: [],
      params: {},
    } as const;
    expect(h.book.check(m)).toBeNull();
    expect(h.book.check(m)).toBeNull();
    expect(h.book.progress(0).addedNodes).toBe(0);
    h.addNode("A", "M-1");
    const again = { ...m, id: "M-2" };
    expect(h.book.check(again)).toEqual(h.book.check(again));
    expect(h.book.progress(0).addedNodes).toBe(1);
  });

  it("keeps open-node counts per scope", () => {
    const h = two([{ scope: "A", nodes: { max: 10 } }]);
    expect(h.book.progress(0).openNodes).toBe(1);
    h.start("A");
    h.addNode("A", "M-1");
    h.addNode("A", "M-2");
    expect(h.book.progress(0).openNodes).toBe(3);
    h.finish("A");
    h.run("M-1");
    expect(h.book.progress(0).openNodes).toBe(1);
  });
});
