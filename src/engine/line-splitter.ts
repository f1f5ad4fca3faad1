import { Transform, type TransformCallback } from "node:stream";
import { StringDecoder } from "node:string_decoder";

/**
 * Splits a byte stream into lines (without `\n` or `\r\n`), as strings, in time
 * linear in its size however long a line is: each chunk is decoded and searched
 * once, and a line's pieces are joined once, when its end arrives. A line longer
 * than `maxLength` characters is an error (the stream's reader decides what then).
 */
export class LineSplitter extends Transform {
  readonly #decoder = new StringDecoder("utf8");
  #pieces: string[] = [];
  #pendingLength = 0;

  constructor(private readonly maxLength: number) {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    done(this.#take(this.#decoder.write(chunk)));
  }

  override _flush(done: TransformCallback): void {
    const error = this.#take(this.#decoder.end());
    // The last line, not ended by a newline, is passed on as it is.
    if (error === undefined && this.#pieces.length > 0) this.push(this.#pieces.join(""));
    done(error);
  }

  #take(text: string): Error | undefined {
    let start = 0;
    for (let newline = text.indexOf("\n"); newline !== -1; newline = text.indexOf("\n", start)) {
      this.#pieces.push(text.slice(start, newline));
      const line = this.#pieces.join("");
      this.push(line.endsWith("\r") ? line.slice(0, -1) : line);
      this.#pieces = [];
      this.#pendingLength = 0;
      start = newline + 1;
    }
    if (start < text.length) {
      this.#pieces.push(text.slice(start));
      this.#pendingLength += text.length - start;
    }
    return this.#pendingLength > this.maxLength
      ? new Error(`a line is longer than ${this.maxLength} characters`)
      : undefined;
  }
}
