import { z } from "zod";

const Id = z.number().int().nonnegative();

/**
 * What the spawner (`spawner.py`) writes on its stdout: one JSON header per line;
 * an `out` header is followed by `size` raw bytes of the task's stdout.
 */
const FrameSchema = z.discriminatedUnion("event", [
  z.strictObject({ event: z.literal("started"), id: Id, pid: z.number().int().positive() }),
  z.strictObject({ event: z.literal("failed"), id: Id, error: z.string() }),
  z.strictObject({ event: z.literal("out"), id: Id, size: z.number().int().positive() }),
  z.strictObject({ event: z.literal("eof"), id: Id }),
  z.strictObject({
    event: z.literal("exited"),
    id: Id,
    code: z.number().int().nullable(),
    signal: z.string().nullable(),
  }),
]);

/** A frame about one process, other than its stdout bytes. */
export type ProcessFrame = Exclude<z.infer<typeof FrameSchema>, { event: "out" }>;

export interface FrameSink {
  frame(frame: ProcessFrame): void;
  /** Bytes of process `id`'s stdout, in order; a chunk may hold part of a frame's bytes. */
  bytes(id: number, bytes: Buffer): void;
  /** A header that is not a frame: the stream can no longer be trusted. */
  invalid(header: string): void;
}

/**
 * Splits the spawner's stdout into frames, however it is chunked. Bytes are
 * passed on as slices of the chunks, never copied.
 */
export class FrameReader {
  private header: Buffer[] = [];
  private payload: { readonly id: number; remaining: number } | null = null;
  private broken = false;

  constructor(private readonly sink: FrameSink) {}

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length && !this.broken) {
      if (this.payload !== null) {
        const take = Math.min(this.payload.remaining, chunk.length - offset);
        this.sink.bytes(this.payload.id, chunk.subarray(offset, offset + take));
        offset += take;
        this.payload.remaining -= take;
        if (this.payload.remaining === 0) this.payload = null;
        continue;
      }
      const newline = chunk.indexOf(10, offset);
      if (newline === -1) {
        this.header.push(chunk.subarray(offset));
        return;
      }
      this.header.push(chunk.subarray(offset, newline));
      offset = newline + 1;
      const text = Buffer.concat(this.header).toString("utf8");
      this.header = [];
      this.onHeader(text);
    }
  }

  private onHeader(text: string): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    const parsed = FrameSchema.safeParse(value);
    if (!parsed.success) {
      this.broken = true;
      this.sink.invalid(text);
    } else if (parsed.data.event === "out") {
      this.payload = { id: parsed.data.id, remaining: parsed.data.size };
    } else {
      this.sink.frame(parsed.data);
    }
  }
}
