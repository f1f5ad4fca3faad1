import { fromDot, type NodeRef } from "ts-graphviz";
import { describe, expect, it } from "vitest";
import { computeEnvelope } from "../../src/envelope/envelope.js";
import { EnvelopeJsonSchema } from "../../src/envelope/model.js";
import { Graph } from "../../src/graph/graph.js";
import { PromiseBook } from "../../src/promises/book.js";
import { toDot, toJson, toSvg } from "../../src/render/index.js";
import { reducedTargets } from "../../src/render/reduce.js";

const meta = { title: "loops" };

/** train -> evaluate -> report, loop evaluate -> train (max 10); `extra` file nodes after train. */
const converge = (extra: readonly string[] = []): Graph => {
  const graph = new Graph();
  for (const id of ["train", "evaluate", "report", ...extra])
    graph.addNode({ id, run: `${id}.py`, args: [], params: {}, createdBy: null });
  graph.addEdge("train", "evaluate", null);
  graph.addEdge("evaluate", "report", null);
  for (const id of extra) graph.addEdge("train", id, null);
  graph.addLoop("evaluate", "train", 10, null);
  return graph;
};

const envelopeOf = (graph: Graph, expand = false) =>
  computeEnvelope(graph, new PromiseBook(graph), { expand });

describe("loop edges in the envelope", () => {
  it("the JSON marks a loop edge with loop and max, apart from the ordinary edges", () => {
    const json = EnvelopeJsonSchema.parse(JSON.parse(toJson(envelopeOf(converge()), meta)));
    expect(json.edges).toContainEqual({
      from: "evaluate",
      to: "train",
      provisional: false,
      created_by: null,
      count: 1,
      loop: true,
      max: 10,
    });
    const ordinary = json.edges.filter((e) => !e.loop);
    expect(ordinary.map((e) => [e.from, e.to])).toEqual([
      ["train", "evaluate"],
      ["evaluate", "report"],
    ]);
    expect(ordinary.every((e) => e.max === undefined)).toBe(true);
  });

  it("DOT draws it back from the source, labelled with its bound, outside the ranking", () => {
    const dot = toDot(envelopeOf(converge()), meta);
    const g = fromDot(dot);
    const loop = g.edges.find((e) => {
      const [a, b] = e.targets as unknown as [NodeRef, NodeRef];
      return a.id === "evaluate" && b.id === "train";
    });
    expect(loop).toBeDefined();
    expect(String(loop?.attributes.get("constraint"))).toBe("false");
    expect(String(loop?.attributes.get("label"))).toContain("↻ ≤10");
    // The ordinary edges keep ranking the graph.
    const ordinary = g.edges.filter((e) => e !== loop);
    expect(ordinary).toHaveLength(2);
    expect(ordinary.every((e) => e.attributes.get("constraint") === undefined)).toBe(true);
  });

  it("a loop a task added and has not committed is drawn dashed; one without max says the default", () => {
    const graph = converge();
    graph.addNode({ id: "check", run: "c.py", args: [], params: {}, createdBy: "report" });
    graph.addEdge("report", "check", "report", true);
    graph.addLoop("check", "check", 100, "report", true);
    const env = envelopeOf(graph);
    const added = env.edges.find((e) => e.loop && e.from === "check");
    expect(added).toMatchObject({ to: "check", provisional: true, created_by: "report", max: 100 });
    const dot = toDot(env, meta);
    expect(dot).toMatch(/"check" -> "check" \[\s*constraint = false;\s*style = "dashed";/);
    expect(dot).toContain("↻ ≤100");
  });

  it("the SVG shows the label", async () => {
    const svg = await toSvg(envelopeOf(converge()), meta);
    expect(svg).toContain("↻ ≤10");
    expect(svg).toMatch(/<title>evaluate&#45;&gt;train<\/title>/);
  });

  it("siblings stack only when their loop edges look alike", () => {
    const graph = new Graph();
    graph.addNode({ id: "fan", run: "fan.py", args: [], params: {}, createdBy: null });
    for (const id of ["M-1", "M-2", "M-3"]) {
      graph.addNode({ id, run: "m.py", args: [], params: {}, createdBy: "fan" });
      graph.addEdge("fan", id, "fan");
    }
    graph.addLoop("M-1", "M-1", 3, "fan");
    graph.addLoop("M-2", "M-2", 3, "fan");
    const env = envelopeOf(graph);
    const stacks = env.nodes.map((n) => n.members);
    expect(stacks).toContainEqual(["M-1", "M-2"]);
    expect(stacks).toContainEqual(["M-3"]);
    expect(env.edges.filter((e) => e.loop)).toEqual([
      {
        from: "M-1",
        to: "M-1",
        provisional: false,
        created_by: "fan",
        count: 2,
        loop: true,
        max: 3,
      },
    ]);
    // Expanded, each member has its own loop edge.
    expect(envelopeOf(graph, true).edges.filter((e) => e.loop)).toHaveLength(2);
  });

  it("a loop edge does not hide a wildcard's target behind what it leads back to", () => {
    const graph = converge(["late"]);
    const env = envelopeOf(graph);
    const w = {
      ...env.wildcards[0]!,
      from: "report",
      may_precede_any: false,
      may_precede: ["train", "late"],
    };
    // `late` comes after train, so train stands for it; followed, the loop edge
    // evaluate -> train would make train look reached from itself and hide it too.
    expect(reducedTargets(env)(w)).toEqual(["train"]);
  });
});
