import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type BindingSource, resolveInputs } from "../../src/data/bindings.js";
import { outputsProblem } from "../../src/data/outputs.js";
import { resolveRunParams } from "../../src/data/run-params.js";
import { AttrsSchema } from "../../src/data/schema.js";
import { plainlyIncompatible } from "../../src/data/type-check.js";

const source = (
  outputs: Record<string, Record<string, unknown>>,
  predecessors: string[] = [],
  runParams: Record<string, unknown> = {},
): BindingSource => ({ outputsOf: (id) => outputs[id], predecessors, runParams });

describe("resolveInputs", () => {
  it("reads one output, all outputs, a parameter and a literal", () => {
    const result = resolveInputs(
      {
        rows: { node: "extract", output: "rows" },
        all: { node: "extract" },
        n: { param: "n" },
        v: { value: [1, 2] },
      },
      source({ extract: { rows: [1], other: "x" } }, ["extract"], { n: 5 }),
    );
    expect(result).toEqual({
      ok: true,
      inputs: { rows: [1], all: { rows: [1], other: "x" }, n: 5, v: [1, 2] },
    });
  });

  it("fails naming the binding when nothing binds and there is no default", () => {
    const result = resolveInputs(
      { rows: { node: "extract", output: "rows" } },
      source({ extract: {} }),
    );
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.reason).toMatch(/^input rows \(output rows of extract\): nothing to bind/);
  });

  it("uses the default when nothing binds, and checks it against the schema", () => {
    expect(
      resolveInputs({ n: { param: "n", default: 3, schema: { type: "integer" } } }, source({})),
    ).toEqual({ ok: true, inputs: { n: 3 } });
    const bad = resolveInputs(
      { n: { param: "n", default: "x", schema: { type: "integer" } } },
      source({}),
    );
    expect(bad.ok).toBe(false);
    if (!bad.ok)
      expect(bad.reason).toContain("input n (run parameter n): the value must be integer");
  });

  it("a glob gives the matching succeeded predecessors' values in creation order, skipping the rest", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            matches: fc.boolean(),
            succeeded: fc.boolean(),
            hasKey: fc.boolean(),
            y: fc.integer(),
          }),
          { maxLength: 12 },
        ),
        (preds) => {
          const ids = preds.map((p, i) => `${p.matches ? "m" : "other"}-${i}`);
          const outputs: Record<string, Record<string, unknown>> = {};
          preds.forEach((p, i) => {
            if (p.succeeded) outputs[ids[i]!] = p.hasKey ? { y: p.y } : { z: 0 };
          });
          const result = resolveInputs({ ys: { node: "m-*", output: "y" } }, source(outputs, ids));
          const expected = preds
            .filter((p) => p.matches && p.succeeded && p.hasKey)
            .map((p) => p.y);
          expect(result).toEqual({ ok: true, inputs: { ys: expected } });
        },
      ),
    );
  });
});

describe("outputsProblem", () => {
  const declared = { rows: { type: "array" }, n: { type: "integer" } };
  it("accepts exactly the declared keys with valid values", () => {
    expect(outputsProblem(declared, { rows: [], n: 1 }, 1000)).toBeNull();
  });
  it("names a missing key, an undeclared key and a value the schema refuses", () => {
    expect(outputsProblem(declared, { rows: [] }, 1000)).toMatch(
      /^declared output n was not given/,
    );
    expect(outputsProblem(declared, { rows: [], n: 1, x: 2 }, 1000)).toMatch(
      /^output x is not declared/,
    );
    expect(outputsProblem(declared, { rows: "no", n: 1 }, 1000)).toMatch(
      /^output rows: the value must be array \(expected \{"type":"array"\}\)/,
    );
  });
  it("names a value over the size limit, declared or not", () => {
    expect(outputsProblem(undefined, { big: "x".repeat(100) }, 50)).toMatch(
      /^output big is 102 bytes, over the limit of 50 \(--max-output\)/,
    );
  });
});

describe("plainlyIncompatible", () => {
  const types = fc.constantFrom(
    "string",
    "integer",
    "number",
    "boolean",
    "array",
    "object",
    "null",
  );
  it("a type always meets itself, and an integer meets a number", () => {
    fc.assert(fc.property(types, (t) => !plainlyIncompatible({ type: t }, { type: t })));
    expect(plainlyIncompatible({ type: "integer" }, { type: "number" })).toBe(false);
  });
  it("a string output is plainly incompatible with an integer input; unknown types never are", () => {
    expect(plainlyIncompatible({ type: "string" }, { type: "integer" })).toBe(true);
    expect(plainlyIncompatible({ type: ["string", "integer"] }, { type: "integer" })).toBe(false);
    expect(plainlyIncompatible({ minimum: 1 }, { type: "integer" })).toBe(false);
  });
});

describe("resolveRunParams", () => {
  const decls = { n: { schema: { type: "integer" }, default: 2 }, name: {} };
  it("parses VALUE as JSON when it parses, else as text; defaults fill the rest", () => {
    expect(resolveRunParams(decls, ["n=5", "name=ada"])).toEqual({
      ok: true,
      params: { n: 5, name: "ada" },
    });
  });
  it("names the parameter and the rule, and suggests the close name", () => {
    const result = resolveRunParams(decls, ["n=five", "nmae=x"]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toContain(
      "--param nmae: not a parameter of the workflow (declared: n, name; did you mean name?)",
    );
    expect(result.problems.join("\n")).toContain('--param n="five": the value must be integer');
    expect(result.problems.join("\n")).toContain("--param name: required");
  });
});

describe("AttrsSchema", () => {
  it("accepts no text that could start markup or end a quoted string", () => {
    fc.assert(
      fc.property(fc.string(), (label) => {
        const ok = AttrsSchema.safeParse({ label }).success;
        if (ok) expect(label).not.toMatch(/[<>"\\&\n\r]/);
      }),
    );
    expect(AttrsSchema.safeParse({ label: "<b>x</b>" }).success).toBe(false);
    expect(AttrsSchema.safeParse({ color: 'red" URL="x' }).success).toBe(false);
    expect(AttrsSchema.safeParse({ shape: "box" }).success).toBe(false);
    expect(AttrsSchema.safeParse({ style: "bold", color: "#ff0000", penwidth: 2 }).success).toBe(
      true,
    );
  });
});
