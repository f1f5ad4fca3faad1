import { appendFileSync, closeSync, openSync, writeSync } from "node:fs";

/**
 * orch's notes in an attempt's log, beside what the task writes to stderr
 * (the executor appends that). The file is opened only when there is a note.
 */
export class AttemptLog {
  #fd: number | null = null;

  constructor(readonly path: string) {}

  /** A line as it is (a task's non-JSON stdout line). */
  line(text: string): void {
    try {
      this.#fd ??= openSync(this.path, "a", 0o600);
      writeSync(this.#fd, `${text}\n`);
    } catch {
      // A full or read-only disk: the note is lost, and the next write of the
      // run's state, on the same disk, reports the failure and stops orch.
    }
  }

  /** A line from orch itself. */
  note(text: string): void {
    this.line(`[orch] ${text}`);
  }

  /** A note after the attempt ended, when the log is closed. */
  noteAfterEnd(text: string): void {
    try {
      appendFileSync(this.path, `[orch] ${text}\n`);
    } catch {
      // Nowhere left to say it.
    }
  }

  close(): void {
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }
}
