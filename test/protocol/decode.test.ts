import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeLine } from "../../src/protocol/decode.js";

describe("decodeLine", () => {
  it("decodes every message type of the protocol", () => {
    const lines = [
      '{"type":"add_node","id":"M-1","run":"m.py"}',
      '{"type":"add_edge","from":"A","to":"M-1"}',
      '{"type":"promise","scope":"$self","nodes":{"ids":["M-*"]}}',
      '{"type":"log","level":"info","message":"hi"}',
      '{"type":"output","values":{"answer":42}}',
    ];
    const kinds = lines.map((l, i) => decodeLine(l, i + 1));
    expect(kinds.map((d) => d.kind)).toEqual([
      "message",
      "message",
      "message",
      "message",
      "message",
    ]);
    const first = kinds[0]!;
    expect(first.kind === "message" && first.message).toMatchObject({
      type: "add_node",
      args: [],
      params: {},
      promises: [],
    });
  });

  it("keeps a line that is not JSON as text", () => {
    expect(decodeLine("hello world", 3)).toEqual({ kind: "text", line: 3, text: "hello world" });
  });

  it("names the line and the problem of JSON that is not a valid message", () => {
    const decoded = decodeLine('{"type":"add_node","id":"bad id!"}', 7);
    expect(decoded.kind).toBe("invalid");
    if (decoded.kind !== "invalid") return;
    expect(decoded.error).toMatch(/^stdout line 7 is not a valid message/);
    expect(decoded.error).toMatch(/id/);
    expect(decoded.error).toMatch(/run/);
  });

  it("rejects unknown message types and non-object JSON", () => {
    expect(decodeLine('{"type":"explode"}', 1).kind).toBe("invalid");
    expect(decodeLine("42", 1).kind).toBe("invalid");
    expect(decodeLine("[]", 1).kind).toBe("invalid");
  });

  it("never throws, whatever the line", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        fc.nat(),
        (text, n) => {
          const decoded = decodeLine(text, n);
          expect(["message", "text", "invalid", "blank"]).toContain(decoded.kind);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
