import { describe, expect, it } from "vitest";
import { globProblem } from "../../src/promises/glob.js";
import { NodePromiseSchema, PromiseSchema } from "../../src/promises/schema.js";
import { validatePromise } from "../../src/promises/validate.js";
import { BRANCH_PROMISE, mapPromise, STATIC_PROMISE } from "../support/seed-promises.js";

const NODES = new Set(["A", "B", "choose", "end"]);
const ctx = { path: "promises[1]", nodeExists: (id: string) => NODES.has(id), allowSelf: false };

const issues = (raw: unknown, allowSelf = false) =>
  validatePromise(PromiseSchema.parse(raw), { ...ctx, allowSelf });

const zodIssues = (raw: unknown) => {
  const result = PromiseSchema.safeParse(raw);
  return result.success ? [] : result.error.issues.map((i) => [i.path.join("."), i.message]);
};

describe("globProblem", () => {
  it.each([
    "M-*",
    "M-[12]",
    "M-[!1]",
    "M-[^1]",
    "a.b",
    "x:*",
    "*",
    "?",
    "M-{1,2}",
    "@(a|b)",
    "[[:digit:]]*",
    "!M-*",
    "a\\.b",
  ])("accepts %s", (glob) => expect(globProblem(glob)).toBeNull());

  it.each([
    ["M-[", "'[' at position 3 is never closed"],
    ["M-[1", "'[' at position 3 is never closed"],
    ["M-]", "']' at position 3 closes nothing"],
    ["M-{1", "'{' is never closed"],
    ["a)", "')' at position 2 closes nothing"],
    ["(a", "'(' is never closed"],
    ["a/b", "node ids never contain '/'"],
    ["a b", "' ' is neither glob syntax nor a character of node ids (letters, digits and ._:-)"],
    ["a\\*", "'\\*' matches a literal '*', which no node id contains"],
    ["a\\", "it ends with a lone '\\'"],
    ["[[:alpha:]", "'[' at position 1 is never closed"],
  ])("rejects %s", (glob, message) => expect(globProblem(glob)).toBe(message));
});

describe("validatePromise", () => {
  it("accepts the three seed promises", () => {
    expect(issues(STATIC_PROMISE)).toEqual([]);
    expect(issues(BRANCH_PROMISE)).toEqual([]);
    expect(issues(mapPromise())).toEqual([]);
  });

  it("rejects a promise with no rule", () => {
    expect(issues({ scope: "A" })).toEqual([
      {
        path: "promises[1]",
        message:
          "a promise needs at least one rule (nodes, edges, no_edges_from, no_edges_to, shape or attrs); this one constrains nothing",
      },
    ]);
  });

  it("checks the scope", () => {
    expect(issues({ scope: "Z", nodes: false })).toEqual([
      {
        path: "promises[1].scope",
        message: 'scope "Z" names no node (a scope is a node id or "*")',
      },
    ]);
    expect(issues({ scope: "$self", nodes: false })[0]?.message).toContain(
      'scope "$self" is only meaningful',
    );
    expect(issues({ scope: "$self", nodes: false }, true)).toEqual([]);
    const own = validatePromise(NodePromiseSchema.parse({ nodes: false }), ctx);
    expect(own).toEqual([]);
  });

  it("checks every glob with its path", () => {
    const found = issues({
      scope: "A",
      nodes: { ids: ["ok", "M-["] },
      edges: [
        { from: "$self", to: "$new" },
        { from: "$other", to: "M-]" },
      ],
      no_edges_from: ["a b"],
      no_edges_to: ["x/y"],
    });
    expect(found).toEqual([
      {
        path: "promises[1].nodes.ids[1]",
        message: `bad id glob "M-[": '[' at position 3 is never closed`,
      },
      {
        path: "promises[1].no_edges_from[0]",
        message: `bad id glob "a b": ' ' is neither glob syntax nor a character of node ids (letters, digits and ._:-)`,
      },
      {
        path: "promises[1].no_edges_to[0]",
        message: `bad id glob "x/y": node ids never contain '/'`,
      },
      {
        path: "promises[1].edges[1].from",
        message: 'unknown placeholder "$other": an endpoint is an id glob, "$self" or "$new"',
      },
      {
        path: "promises[1].edges[1].to",
        message: `bad id glob "M-]": ']' at position 3 closes nothing`,
      },
    ]);
  });

  it("checks templates: slot globs, duplicate slots, edge endpoints, self-edges", () => {
    const found = issues({
      scope: "A",
      shape: {
        one_of: [
          { nodes: [{ id: "a", run: "a.py" }] },
          {
            nodes: [
              { id: "M-*", run: "m.py", count: "*" },
              { id: "M-*", run: "n.py" },
              { id: "N-[", run: "n.py" },
            ],
            edges: [
              { from: "A", to: "M-*" },
              { from: "M-*", to: "Q" },
              { from: "B", to: "B" },
            ],
          },
        ],
      },
    });
    expect(found).toEqual([
      {
        path: "promises[1].shape.one_of[1].nodes[1].id",
        message:
          'slot "M-*" is already nodes[0] of this template; template edges name slots by id, so slot ids must differ',
      },
      {
        path: "promises[1].shape.one_of[1].nodes[2].id",
        message: `bad id glob "N-[": '[' at position 3 is never closed`,
      },
      {
        path: "promises[1].shape.one_of[1].edges[1].to",
        message:
          '"Q" is neither a slot of this template (slots: M-*, N-[), "$self" nor an existing node',
      },
      {
        path: "promises[1].shape.one_of[1].edges[2]",
        message: 'a template edge from "B" to itself would be a cycle',
      },
    ]);
  });
});

describe("zod messages", () => {
  it("names unknown rules and what is allowed", () => {
    expect(zodIssues({ scope: "A", nodez: false })).toEqual([
      [
        "",
        'unknown key "nodez" in a promise: expected scope and the rules nodes, edges, no_edges_from, no_edges_to, shape and attrs',
      ],
    ]);
  });

  it("explains a bad nodes or edges rule", () => {
    expect(zodIssues({ scope: "A", nodes: true })).toEqual([
      [
        "nodes",
        'expected false or an object with "ids", "run", "call", "uses" and "max" (each optional)',
      ],
    ]);
    expect(zodIssues({ scope: "A", nodes: { ids: "M-*" } })).toEqual([
      ["nodes", "ids: Invalid input: expected array, received string"],
    ]);
    expect(zodIssues({ scope: "A", nodes: { max: -1 } })).toEqual([
      ["nodes.max", "max is a number of nodes, 0 or more"],
    ]);
    expect(zodIssues({ scope: "A", nodes: { maximum: 1 } })).toEqual([
      ["nodes", 'unknown key "maximum" in a nodes rule: expected ids, run, call, uses and max'],
    ]);
    expect(zodIssues({ scope: "A", edges: [{ from: "a" }] })).toEqual([
      ["edges", "[0].to: Invalid input: expected string, received undefined"],
    ]);
    expect(zodIssues({ scope: "A", edges: true })).toEqual([
      ["edges", 'expected false or a list of {"from", "to"} patterns'],
    ]);
  });

  it("explains a bad slot count and a missing scope", () => {
    expect(
      zodIssues({
        scope: "A",
        shape: { one_of: [{ nodes: [{ id: "a", run: "a.py", count: "2" }] }] },
      }),
    ).toEqual([
      [
        "shape.one_of.0.nodes.0.count",
        'a slot count is "1" (exactly one), "?" (zero or one), "*" (any number) or "+" (at least one)',
      ],
    ]);
    expect(zodIssues({ nodes: false })).toEqual([
      ["scope", 'a promise needs a scope: a node id, "*" (the whole run) or "$self"'],
    ]);
    expect(zodIssues({ scope: "A", shape: { one_of: [] } })).toEqual([
      ["shape.one_of", "one_of needs at least one template"],
    ]);
  });

  it("reads a slot that calls a function or uses a task type, keeping its own promises", () => {
    const slotOf = (slot: unknown) => {
      const { shape } = PromiseSchema.parse({ scope: "A", shape: { one_of: [{ nodes: [slot] }] } });
      return shape !== undefined && "one_of" in shape ? shape.one_of?.[0]?.nodes[0] : undefined;
    };
    const promises = [{ nodes: false }];
    expect(slotOf({ id: "M-*", call: "etl.steps:clean", count: "*", promises })).toEqual({
      id: "M-*",
      run: "call:etl.steps:clean",
      count: "*",
      promises,
    });
    expect(slotOf({ id: "M-*", uses: "api_call" })).toEqual({
      id: "M-*",
      run: "uses:api_call",
      count: "1",
    });
    expect(
      zodIssues({
        scope: "A",
        shape: { one_of: [{ nodes: [{ id: "M-*", run: "m.py", uses: "print" }] }] },
      }),
    ).toEqual([
      ["shape.one_of.0.nodes.0", 'a template slot names exactly one of "run", "call" or "uses"'],
    ]);
  });
});
