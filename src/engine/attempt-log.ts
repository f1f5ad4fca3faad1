import { closeSync, openSync, writeSync } from "node:fs";

/**
 * orch's notes in an attempt's log, beside what the task writes to stderr
 * (the executor appends that). The file is opened only when there is a note.
 */
export class AttemptLog {
  #fd: number | null = null;

  constructor(readonly path: string) {}

  /** A line as it is (a task's non-JSON stdout line). */
  line(text: string): void {
    this.#fd ??= openSync(this.path, "a", 0o600);
    writeSync(this.#fd, `${text}\n`);
  }

  /** A line from orch itself. */
  note(text: string): void {
    this.line(`[orch] ${text}`);
  }

  close(): void {
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }
}
