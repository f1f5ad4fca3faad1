import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hasControl, PlainStringSchema, printable } from "../../src/util/printable.js";

/** An oracle written apart from the module's own pattern: by code point. */
const isControl = (char: string): boolean => {
  const code = char.codePointAt(0)!;
  return code <= 0x1f || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
};
const anyControl = (text: string): boolean => [...text].some(isControl);
const withoutControl = (text: string): string => [...text].filter((c) => !isControl(c)).join("");

describe("printable", () => {
  it("leaves no control character in any string", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        expect(anyControl(printable(text))).toBe(false);
      }),
    );
  });

  it("changes nothing in a string without control characters", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (text) => {
        fc.pre(!anyControl(text));
        expect(printable(text)).toBe(text);
      }),
    );
  });

  it("keeps the text around each escape, in order", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "grapheme-ascii" })), (parts) => {
        const plain = parts.map(withoutControl);
        expect(printable(plain.join("\u001b"))).toBe(plain.join("\\x1b"));
      }),
    );
  });

  it("writes a forged line and a screen clear as visible escapes", () => {
    expect(printable("nope\n14:00:00  run succeeded\u001b[2J\u0000")).toBe(
      "nope\\n14:00:00  run succeeded\\x1b[2J\\x00",
    );
    expect(printable("a\tb\r\u0085\u2028")).toBe("a\\tb\\r\\x85\\u2028");
  });

  it("says whether a string holds a control character", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        expect(hasControl(text)).toBe(anyControl(text));
      }),
    );
  });

  it("refuses a name with a control character, saying which and where", () => {
    const result = PlainStringSchema.safeParse("tasks/a\u0000.py");
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe(
      "holds a control character (\\x00 at position 8): expected printable text",
    );
    expect(PlainStringSchema.safeParse("tasks/ä.py").success).toBe(true);
  });
});
