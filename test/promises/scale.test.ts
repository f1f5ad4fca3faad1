import { describe, expect, it } from "vitest";
import { mapPromise } from "../support/seed-promises.js";
import { Harness } from "./harness.js";

describe("scale", () => {
  it("a chain of 10,000 created nodes keeps effective sets small", () => {
    const h = new Harness({
      nodes: ["root", "sink"],
      promises: [
        { scope: "*", no_edges_to: ["root"] },
        { scope: "root", nodes: { ids: ["n-*"], run: ["m.py"], max: 10_000 } },
      ],
    });
    let current = "root";
    for (let i = 0; i < 10_000; i++) {
      h.start(current);
      const next = `n-${i}`;
      expect(h.addNode(current, next).ok).toBe(true);
      expect(h.addEdge(current, current, next).ok).toBe(true);
      expect(h.finish(current)).toEqual([]);
      current = next;
    }
    expect(h.book.effective(current).map((p) => p.id)).toEqual([0, 1]);
    expect(h.book.effective("n-5000")).toHaveLength(2);
    expect(h.book.progress(1).addedNodes).toBe(10_000);
    expect(h.book.progress(1).openNodes).toBe(1);
    h.start(current);
    expect(h.addNode(current, "n-extra").ok).toBe(false);
  });

  it("a random map of 100,000 instances checks and records every mutation", () => {
    const h = new Harness({
      nodes: ["A", "B"],
      edges: [["A", "B"]],
      promises: [mapPromise()],
    });
    h.start("A");
    const n = 100_000;
    let refused = 0;
    for (let i = 0; i < n; i++) {
      const id = `M-${i}`;
      if (!h.addNode("A", id).ok) refused++;
      if (!h.addEdge("A", "A", id).ok) refused++;
      if (!h.addEdge("A", id, "B").ok) refused++;
    }
    expect(refused).toBe(0);
    const edges = h.book.progress(0).alternatives[0]?.edges;
    expect(edges).toEqual([
      { present: n, expected: n },
      { present: n, expected: n },
    ]);
  });
});
