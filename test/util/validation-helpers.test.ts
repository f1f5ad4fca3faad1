import { describe, expect, it } from "vitest";
import { html } from "../../src/render/style.js";
import { closeKey, knownKeysAt } from "../../src/util/did-you-mean.js";
import { duplicateKeys } from "../../src/util/duplicate-keys.js";
import { WorkflowSchema } from "../../src/workflow/schema.js";

describe("did you mean", () => {
  it("names the known key close to an unknown one, and none when nothing is close", () => {
    const keys = knownKeysAt(WorkflowSchema, ["nodes", 3]);
    expect(keys).toContain("retries");
    expect(closeKey("retry", keys)).toBe("retries");
    expect(closeKey("dependson", keys)).toBe("depends_on");
    expect(closeKey("colour", keys)).toBeUndefined();
    expect(knownKeysAt(WorkflowSchema, [])).toContain("promises");
  });
});

describe("duplicate keys", () => {
  it("names both places of a repeated key, at any depth, and nothing else", () => {
    const text = '{"a": 1, "n": [{"x": 1, "y": {"x": 2}, "x": 3}], "a": 2}';
    expect(duplicateKeys(text)).toEqual([
      {
        path: "n[0].x",
        message: expect.stringContaining("at line 1, column 17 and again at line 1, column 40"),
      },
      { path: "a", message: expect.stringContaining('duplicate key "a"') },
    ]);
    expect(duplicateKeys('{"a": {"b": 1}, "c": {"b": 1}}')).toEqual([]);
  });
});

describe("Graphviz labels", () => {
  it("escape control characters, keeping newlines as line breaks", () => {
    expect(html("a\u0000b\u001bc\nd<")).toBe("a\\x00b\\x1bc<br/>d&lt;");
  });
});
