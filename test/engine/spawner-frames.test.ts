import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FrameReader, type ProcessFrame } from "../../src/engine/spawner-frames.js";

/** What a reader saw: frames and bytes per process, in order, and any invalid header. */
const collect = () => {
  const seen = {
    frames: [] as ProcessFrame[],
    bytes: new Map<number, Buffer[]>(),
    invalid: [] as string[],
  };
  const reader = new FrameReader({
    frame: (frame) => seen.frames.push(frame),
    bytes: (id, bytes) => {
      const list = seen.bytes.get(id) ?? [];
      list.push(Buffer.from(bytes));
      seen.bytes.set(id, list);
    },
    invalid: (header) => seen.invalid.push(header),
  });
  const stdout = (id: number) => Buffer.concat(seen.bytes.get(id) ?? []);
  return { reader, seen, stdout };
};

const header = (value: object) => Buffer.from(`${JSON.stringify(value)}\n`);

/** One frame as the spawner writes it, and what the reader should make of it. */
const frameArb = fc.oneof(
  fc
    .record({ id: fc.nat(3), data: fc.uint8Array({ minLength: 1, maxLength: 300 }) })
    .map(({ id, data }) => ({
      wire: Buffer.concat([header({ event: "out", id, size: data.length }), Buffer.from(data)]),
      out: { id, data: Buffer.from(data) },
      frame: null,
    })),
  fc
    .oneof(
      fc.record({
        event: fc.constant("started" as const),
        id: fc.nat(3),
        pid: fc.integer({ min: 1, max: 1 << 22 }),
      }),
      fc.record({ event: fc.constant("failed" as const), id: fc.nat(3), error: fc.string() }),
      fc.record({ event: fc.constant("eof" as const), id: fc.nat(3) }),
      fc.record({
        event: fc.constant("exited" as const),
        id: fc.nat(3),
        code: fc.option(fc.integer({ min: 0, max: 255 })),
        signal: fc.option(fc.constantFrom("SIGKILL", "SIGTERM")),
      }),
    )
    .map((frame) => ({ wire: header(frame), out: null, frame: frame as ProcessFrame })),
);

/** `wire` cut into chunks at the given points. */
const chunked = (wire: Buffer, cuts: readonly number[]): Buffer[] => {
  const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const point of [...points, wire.length]) {
    if (point > from) chunks.push(wire.subarray(from, point));
    from = Math.max(from, point);
  }
  return chunks;
};

describe("the spawner's frames", () => {
  it("come out the same however the stream is chunked: every frame, every byte, in order", () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (frames, cuts) => {
          const wire = Buffer.concat(frames.map((f) => f.wire));
          const { reader, seen, stdout } = collect();
          for (const chunk of chunked(wire, cuts)) reader.push(chunk);
          expect(seen.invalid).toEqual([]);
          expect(seen.frames).toEqual(frames.flatMap((f) => (f.frame ? [f.frame] : [])));
          for (const id of [0, 1, 2, 3]) {
            const expected = Buffer.concat(
              frames.flatMap((f) => (f.out?.id === id ? [f.out.data] : [])),
            );
            expect(stdout(id).equals(expected), `stdout of ${id}`).toBe(true);
          }
        },
      ),
    );
  });

  it("passes on bytes that look like frames, newlines and all, as bytes", () => {
    const { reader, seen, stdout } = collect();
    const data = Buffer.from('{"event":"eof","id":1}\n{"event":"started","id":1,"pid":5}\n');
    reader.push(
      Buffer.concat([
        header({ event: "out", id: 1, size: data.length }),
        data,
        header({ event: "eof", id: 1 }),
      ]),
    );
    expect(stdout(1).equals(data)).toBe(true);
    expect(seen.frames).toEqual([{ event: "eof", id: 1 }]);
  });

  it("reports a header that is not a frame, and reads nothing after it", () => {
    for (const bad of [
      "not json",
      '{"id":1}',
      '{"event":"started","id":1,"pid":0}',
      '{"event":"eof","id":-1}',
      '{"event":"eof","id":1,"x":1}',
      '{"event":"out","id":1}',
    ]) {
      const { reader, seen } = collect();
      reader.push(Buffer.from(`${bad}\n{"event":"eof","id":2}\n`));
      expect(seen.invalid, bad).toEqual([bad]);
      expect(seen.frames, bad).toEqual([]);
    }
  });
});
