/**
 * Fuzzing the decoding of a task's stdout, without spawning anything: random byte
 * streams, cut into random chunks, go through the same line splitting orch uses
 * (`LineSplitter` with a maxLength) into `decodeLine`. Whatever the bytes, nothing throws,
 * every line is classified, and chunking never changes what the lines are.
 */
import { Readable } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LineSplitter } from "../../src/engine/line-splitter.js";
import { type DecodedLine, decodeLine } from "../../src/protocol/decode.js";

interface Split {
  readonly lines: string[];
  readonly decoded: DecodedLine[];
  /** The splitter refused a line longer than maxLength (orch then fails the task). */
  readonly overflow: boolean;
}

/** Feed `chunks` through the line splitter and decodeLine, as a task's stdout is. Rejects if decodeLine throws. */
const splitAndDecode = (chunks: readonly Uint8Array[], maxLength: number): Promise<Split> =>
  new Promise((resolve, reject) => {
    const lines: string[] = [];
    const decoded: DecodedLine[] = [];
    const splitter = new LineSplitter(maxLength);
    splitter.on("data", (text: string) => {
      lines.push(text);
      try {
        decoded.push(decodeLine(text, lines.length));
      } catch (error) {
        reject(error);
      }
    });
    splitter.on("error", () => resolve({ lines, decoded, overflow: true }));
    splitter.on("end", () => resolve({ lines, decoded, overflow: false }));
    Readable.from(chunks.map((chunk) => Buffer.from(chunk))).pipe(splitter);
  });

/** The lines of the whole stream, decoded at once: what any chunking must give. */
const referenceLines = (chunks: readonly Uint8Array[]): string[] => {
  const parts = Buffer.concat(chunks).toString("utf8").split(/\r?\n/);
  if (parts.at(-1) === "") parts.pop();
  return parts;
};

const encode = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "utf8"));

/** Byte fragments likely to matter: newlines, CRs, multi-byte and broken UTF-8, JSON and message pieces. */
const fragment = fc.constantFrom(
  ...[
    "\n",
    "\r\n",
    "\r",
    "{",
    "}",
    '"',
    "é",
    "€",
    "😀",
    '{"type":"log","message":"hi"}\n',
    '{"type":"output","values":{"a":[1,{"b":null}]}}\n',
    '{"type":"add_node","id":"M-1","run":"m.py"}\n',
    '{"type":"add_edge","from":"A","to":"M-1"}\n',
    '{"type":"explode"}\n',
    '{"type":"add_node","id":"bad id","run":""}\n',
    "[1,2,3]\n",
    "null\n",
    "   \n",
  ].map(encode),
  new Uint8Array([0xff, 0xfe]),
  new Uint8Array([0xc3]),
  new Uint8Array([0xe2, 0x82]),
  new Uint8Array([0xf0, 0x9f, 0x98]),
  new Uint8Array([0xed, 0xa0, 0x80]),
  new Uint8Array([0x00]),
);

const chunks = fc.array(fc.oneof(fc.uint8Array({ maxLength: 96 }), fragment), { maxLength: 40 });
const maxLength = fc.constantFrom(8, 64, 1024, 1024 * 1024);

const KINDS = new Set(["message", "text", "invalid", "blank"]);
const MESSAGE_TYPES = new Set(["add_node", "add_edge", "promise", "log", "output"]);

/** Every line got exactly one sound classification. */
const expectClassified = ({ lines, decoded }: Split): void => {
  expect(decoded).toHaveLength(lines.length);
  decoded.forEach((d, i) => {
    expect(KINDS.has(d.kind)).toBe(true);
    expect(d.line).toBe(i + 1);
    switch (d.kind) {
      case "message":
        expect(MESSAGE_TYPES.has(d.message.type)).toBe(true);
        break;
      case "text":
        expect(d.text).toBe(lines[i]);
        break;
      case "invalid":
        expect(d.error.startsWith(`stdout line ${i + 1} is not a valid message: `)).toBe(true);
        break;
      case "blank":
        expect(lines[i]!.trim()).toBe("");
        break;
    }
  });
};

describe("decoding a task's stdout", () => {
  it("never throws and classifies every line, whatever the bytes and however they are chunked", async () => {
    await fc.assert(
      fc.asyncProperty(chunks, maxLength, async (input, max) => {
        const split = await splitAndDecode(input, max);
        expectClassified(split);
        const reference = referenceLines(input);
        if (split.overflow) {
          // Refused only when some line really is too long; what came before is intact.
          expect(reference.some((line) => line.length > max)).toBe(true);
          expect(split.lines).toEqual(reference.slice(0, split.lines.length));
        } else {
          expect(split.lines).toEqual(reference);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("never lets a line longer than maxLength through once it spans chunks", async () => {
    // The splitter checks the unfinished tail of its buffer: a line longer than the limit that is
    // still incomplete when a chunk ends is always refused. (A complete long line inside a
    // single chunk is not caught here: orch must check each line's length itself.)
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 50 }),
        async (max, extra) => {
          const line = "x".repeat(max + extra);
          const split = await splitAndDecode([encode(line), encode("\n")], max);
          expect(split.overflow).toBe(true);
          expect(split.lines).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("decodes valid messages exactly, however the stream is cut (multi-byte characters included)", async () => {
    const id = fc.stringMatching(/^[A-Za-z0-9._:-]{1,12}$/);
    const message = fc.oneof(
      fc.record({
        type: fc.constant("log"),
        level: fc.constantFrom("debug", "info", "warning", "error"),
        message: fc.string({ unit: "binary", maxLength: 40 }),
      }),
      fc.record({
        type: fc.constant("output"),
        values: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 })),
      }),
      fc.record({ type: fc.constant("add_edge"), from: id, to: id }),
      fc.record({ type: fc.constant("add_node"), id, run: fc.constantFrom("m.py", "tasks/ü.py") }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(message, { minLength: 1, maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        async (messages, cuts) => {
          const bytes = encode(messages.map((m) => `${JSON.stringify(m)}\n`).join(""));
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort(
            (a, b) => a - b,
          );
          const bounds = [0, ...points, bytes.length];
          const pieces = bounds.slice(1).map((end, i) => bytes.slice(bounds[i], end));
          const split = await splitAndDecode(pieces, 1024 * 1024);
          expect(split.overflow).toBe(false);
          expectClassified(split);
          expect(split.decoded).toHaveLength(messages.length);
          split.decoded.forEach((d, i) => {
            expect(d.kind).toBe("message");
            if (d.kind === "message")
              expect(d.message).toMatchObject(JSON.parse(JSON.stringify(messages[i])) as object);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
