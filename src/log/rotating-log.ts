import { closeSync, existsSync, fstatSync, openSync, renameSync, rmSync, writeSync } from "node:fs";

export interface RotatingLogOptions {
  /** Rotate once the file would grow past this many bytes. */
  readonly maxBytes: number;
  /** Rotated files kept: `orch.log.1` (newest) … `orch.log.N`. */
  readonly keep: number;
}

export const DEFAULT_ROTATION: RotatingLogOptions = { maxBytes: 1024 * 1024, keep: 3 };

/**
 * orch's own log, appended line by line and rotated by size. Written
 * synchronously on purpose: several orch processes may share one log, each line
 * is a single O_APPEND write, and a crash loses nothing already reported.
 */
export class RotatingLog {
  constructor(
    readonly path: string,
    private readonly options: RotatingLogOptions = DEFAULT_ROTATION,
  ) {}

  write(line: string): void {
    const text = `${new Date().toISOString()} ${line}\n`;
    let fd = openSync(this.path, "a", 0o600);
    const size = fstatSync(fd).size;
    if (size > 0 && size + Buffer.byteLength(text) > this.options.maxBytes) {
      closeSync(fd);
      this.#rotate();
      fd = openSync(this.path, "a", 0o600);
    }
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
  }

  #rotate(): void {
    const oldest = `${this.path}.${this.options.keep}`;
    if (existsSync(oldest)) rmSync(oldest);
    for (let i = this.options.keep - 1; i >= 1; i--) {
      if (existsSync(`${this.path}.${i}`)) renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
    }
    if (this.options.keep > 0) renameSync(this.path, `${this.path}.1`);
    else rmSync(this.path);
  }
}
