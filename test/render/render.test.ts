import { fromDot, type NodeRef, type RootGraphModel } from "ts-graphviz";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { computeEnvelope } from "../../src/envelope/envelope.js";
import { EnvelopeJsonSchema } from "../../src/envelope/model.js";
import { formatFromPath, renderEnvelope, toDot, toJson, toSvg } from "../../src/render/index.js";
import { BRANCH, MAP, STATIC } from "../envelope/fixtures.js";
import { SimRun } from "../envelope/run.js";

const meta = { title: "test run" };

/** SVG text with the entity Graphviz writes for `-` decoded. */
const text = (svg: string): string => svg.replace(/&#45;/g, "-");

const allNodes = (g: RootGraphModel): string[] => {
  const out = g.nodes.map((n) => n.id);
  const visit = (sub: RootGraphModel["subgraphs"][number]): void => {
    out.push(...sub.nodes.map((n) => n.id));
    sub.subgraphs.forEach(visit);
  };
  g.subgraphs.forEach(visit);
  return out;
};

const edgeEnds = (g: RootGraphModel): [string, string][] =>
  g.edges.map((e) => {
    const [a, b] = e.targets as unknown as [NodeRef, NodeRef];
    return [a.id, b.id];
  });

/** Ids no workflow file allows, but nothing in the renderer may trip over. */
const NASTY = [
  'say "hi"',
  "{braces}",
  "two\nlines",
  "back\\slash\\",
  "<b>&amp;</b>",
  "a:b",
  "*star",
  "node#0",
  "cluster_x",
];

const nastyRun = (): SimRun => {
  const run = new SimRun({ nodes: [["start", "s.py"]], promises: [] });
  let previous = "start";
  for (const id of NASTY) {
    run.graph.addNode({ id, run: `${id}.py`, args: [], params: {}, createdBy: null });
    run.book.registerNode(id);
    run.graph.addEdge(previous, id, null);
    previous = id;
  }
  return run;
};

describe("DOT", () => {
  it("parses back, with every node, edge and wildcard", () => {
    const run = new SimRun(MAP);
    const env = computeEnvelope(run.graph, run.book);
    const g = fromDot(toDot(env, meta));
    expect(allNodes(g)).toEqual(expect.arrayContaining(["A", "B"]));
    expect(allNodes(g)).toHaveLength(3);
    const ends = edgeEnds(g);
    expect(ends).toContainEqual(["A", "B"]);
    const slot = allNodes(g).find((id) => id !== "A" && id !== "B")!;
    expect(ends).toEqual(
      expect.arrayContaining([
        ["A", slot],
        [slot, "B"],
      ]),
    );
  });

  it("keeps ids with quotes, braces, newlines, backslashes and markup safe", () => {
    const run = nastyRun();
    const env = computeEnvelope(run.graph, run.book, { expand: true });
    const dot = toDot(env, { title: 'a "title" with {braces}' });
    const g = fromDot(dot);
    // No promises: one note stands for every node's open future, with no edges of its own.
    expect(env.note).not.toBeNull();
    expect(allNodes(g)).toHaveLength(NASTY.length + 1 + 1);
    expect(g.edges).toHaveLength(NASTY.length);
    expect(dot).toContain("<b>&lt;b&gt;&amp;amp;&lt;/b&gt;</b>");
    expect(dot).toContain("<b>two<br/>lines</b>");
  });

  it("draws the branch's alternatives as clusters and provisional nodes dashed", () => {
    const run = new SimRun(BRANCH);
    const pre = fromDot(toDot(computeEnvelope(run.graph, run.book), meta));
    const clusters = pre.subgraphs.filter((s) => s.id?.startsWith("cluster_"));
    expect(clusters).toHaveLength(1);
    expect(clusters[0]!.subgraphs).toHaveLength(2);
    run.run("start");
    run.start("choose");
    run.addNode("choose", "a", "a.py");
    const during = fromDot(toDot(computeEnvelope(run.graph, run.book), meta));
    expect(String(during.getNode("a")?.attributes.get("style"))).toContain("dashed");
  });

  it("draws a dashed edge only to the first of a chain of nodes a wildcard may precede", () => {
    const run = new SimRun({
      nodes: ["X", "p1", "p2", "p3"],
      edges: [
        ["X", "p1"],
        ["p1", "p2"],
        ["p2", "p3"],
      ],
      promises: ["p1", "p2", "p3"].map((scope) => ({ scope, nodes: false, edges: false })),
    });
    const env = computeEnvelope(run.graph, run.book);
    expect(env.wildcards[0]).toMatchObject({ from: "X", may_precede_any: true, may_precede: [] });
    const fromWildcard = edgeEnds(fromDot(toDot(env, meta))).filter(([a]) => a.startsWith("*"));
    expect(fromWildcard.map(([, to]) => to)).toEqual(["p1"]);
  });
});

describe("SVG", () => {
  it("is drawn in-process, with the node labels, the wildcard and a legend", async () => {
    const run = new SimRun(MAP);
    const svg = text(await toSvg(computeEnvelope(run.graph, run.book), { title: "random map" }));
    expect(svg.startsWith("<?xml") || svg.startsWith("<svg")).toBe(true);
    for (const text of ["random map", "fanout.py", "collect.py", "M-* (m.py) ×0..∞", "A may add"]) {
      expect(svg).toContain(text);
    }
    for (const text of [
      "pending",
      "running",
      "succeeded",
      "failed",
      "provisional",
      "may be added",
    ]) {
      expect(svg).toContain(text);
    }
  });

  it("escapes hostile ids into text", async () => {
    const run = nastyRun();
    const svg = await toSvg(computeEnvelope(run.graph, run.book), meta);
    expect(svg).toContain("{braces}");
    expect(svg).toContain("&lt;b&gt;&amp;amp;&lt;/b&gt;");
    expect(svg).toMatch(/say (&quot;|")hi(&quot;|")/);
  });
});

describe("JSON", () => {
  it("validates against EnvelopeJsonSchema, with an empty wildcard list when the future is known", () => {
    const run = new SimRun(STATIC);
    const json = JSON.parse(toJson(computeEnvelope(run.graph, run.book), meta));
    expect(EnvelopeJsonSchema.parse(json)).toEqual(json);
    expect(json.wildcards).toEqual([]);
    expect(json.stats).toEqual({ nodes: 4, edges: 4, wildcards: 0 });
  });

  it("carries every wildcard's origin, rules, targets and alternatives", () => {
    const run = new SimRun(BRANCH);
    const json = EnvelopeJsonSchema.parse(
      JSON.parse(toJson(computeEnvelope(run.graph, run.book), meta)),
    );
    expect(Object.keys(json)).toEqual(expect.arrayContaining(["nodes", "edges", "wildcards"]));
    expect(json.wildcards[0]).toMatchObject({ from: "choose", may_precede: ["end"] });
    expect(json.wildcards[0]!.alternatives).toHaveLength(2);
  });

  it("has a schema that converts to JSON Schema", () => {
    const schema = z.toJSONSchema(EnvelopeJsonSchema);
    expect(schema).toMatchObject({
      type: "object",
      required: expect.arrayContaining(["nodes", "edges", "wildcards"]),
    });
  });
});

describe("formats", () => {
  it("tells the format by the extension", () => {
    expect(formatFromPath("out/dag.svg")).toBe("svg");
    expect(formatFromPath("DAG.DOT")).toBe("dot");
    expect(formatFromPath("/tmp/envelope.json")).toBe("json");
  });

  it("names the extension and the allowed ones when it cannot", () => {
    expect(() => formatFromPath("dag.png")).toThrow(
      /dag\.png: it ends in \.png; expected one of \.svg, \.dot, \.json/,
    );
    expect(() => formatFromPath("dag")).toThrow(
      /has no extension; expected one of \.svg, \.dot, \.json/,
    );
  });

  it("renders each format", async () => {
    const run = new SimRun(MAP);
    const env = computeEnvelope(run.graph, run.book);
    expect(await renderEnvelope(env, "dot", meta)).toMatch(/^digraph/);
    expect(await renderEnvelope(env, "svg", meta)).toContain("</svg>");
    expect(JSON.parse(await renderEnvelope(env, "json", meta))).toHaveProperty("wildcards");
  });
});
