import { describe, expect, it } from "vitest";
import { Scheduler } from "../../src/engine/scheduler.js";
import { Graph } from "../../src/graph/graph.js";

const build = (ids: string[], edges: [string, string][]) => {
  const graph = new Graph();
  for (const id of ids) graph.addNode({ id, run: "t.py", args: [], params: {}, createdBy: null });
  for (const [a, b] of edges) graph.addEdge(a, b, null);
  return graph;
};

/** Drive the scheduler like the engine does: every picked node runs, commits what it added, succeeds. */
const order = (graph: Graph, scheduler: Scheduler, commit?: (id: string) => void): string[] => {
  const out: string[] = [];
  const judge = () =>
    scheduler.judge((judged) => {
      for (const { id, status } of judged) graph.node(id)!.status = status;
    });
  judge();
  for (let id = scheduler.next(); id !== undefined; id = scheduler.next()) {
    out.push(id);
    graph.node(id)!.status = "running";
    commit?.(id);
    graph.node(id)!.status = "succeeded";
    scheduler.settled(id);
    judge();
  }
  return out;
};

describe("Scheduler", () => {
  it("runs a node once every predecessor succeeded, ties by creation order", () => {
    const graph = build(
      ["start", "one", "two", "end"],
      [
        ["start", "one"],
        ["start", "two"],
        ["two", "end"],
      ],
    );
    expect(order(graph, new Scheduler(graph))).toEqual(["start", "one", "two", "end"]);
  });

  it("takes in nodes and edges a task committed, including edges into older nodes", () => {
    const graph = build(["A", "B"], [["A", "B"]]);
    const scheduler = new Scheduler(graph);
    const ran = order(graph, scheduler, (id) => {
      if (id !== "A") return;
      graph.addNode({ id: "M-1", run: "m.py", args: [], params: {}, createdBy: "A" });
      graph.addNode({ id: "M-2", run: "m.py", args: [], params: {}, createdBy: "A" });
      graph.addEdge("A", "M-1", "A");
      graph.addEdge("M-1", "M-2", "A");
      graph.addEdge("M-2", "B", "A");
      scheduler.committed(
        ["M-1", "M-2"],
        [
          ["A", "M-1"],
          ["M-1", "M-2"],
          ["M-2", "B"],
        ],
      );
    });
    expect(ran).toEqual(["A", "M-1", "M-2", "B"]);
  });

  it("never offers a node that is not pending", () => {
    const graph = build(["a", "b"], []);
    graph.node("a")!.status = "blocked";
    expect(order(graph, new Scheduler(graph))).toEqual(["b"]);
  });

  it("judges a node's trigger once its predecessors settled, and skipping spreads downstream", () => {
    const graph = new Graph();
    const add = (id: string, trigger?: "any_failed" | "all_done") =>
      graph.addNode({ id, run: "t.py", args: [], params: {}, createdBy: null, trigger });
    add("ship");
    add("refund", "any_failed");
    add("after-refund");
    add("notify", "all_done");
    graph.addEdge("ship", "refund", null);
    graph.addEdge("refund", "after-refund", null);
    graph.addEdge("refund", "notify", null);
    graph.addEdge("ship", "notify", null);
    const scheduler = new Scheduler(graph);
    const judged: string[] = [];
    const judge = () =>
      scheduler.judge((nodes) => {
        for (const { id, status, reason } of nodes) {
          graph.node(id)!.status = status;
          judged.push(`${id} ${status}: ${reason}`);
        }
      });
    judge();
    expect(scheduler.next()).toBe("ship");
    expect(scheduler.next()).toBeUndefined();
    graph.node("ship")!.status = "succeeded";
    scheduler.settled("ship");
    judge();
    expect(judged).toEqual([
      "refund skipped: trigger any_failed: no upstream node failed",
      "after-refund skipped: upstream refund skipped",
    ]);
    expect(scheduler.next()).toBe("notify");
  });
});
