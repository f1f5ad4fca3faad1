import type { Readable } from "node:stream";
import split2 from "split2";
import { type DecodedLine, decodeLine } from "../protocol/decode.js";
import type { AttemptLog } from "./attempt-log.js";

/** What the orchestrator does after a line: carry on, or stop the task now. */
export type LineVerdict =
  | { readonly stop: false }
  | { readonly stop: true; readonly reason: string };

export const CONTINUE: LineVerdict = { stop: false };

/** Non-JSON stdout lines noted with a warning; later ones are logged plainly. */
const TEXT_WARNINGS = 100;

export interface LineReader {
  /** Resolves when stdout has ended, or reading was given up. */
  readonly drained: Promise<void>;
  /** Give up reading (a process the task left behind holds stdout open). */
  stop(): void;
}

/**
 * Decode a task's stdout line by line and hand each line to `onLine`; a line
 * longer than `maxLineLength` or a verdict to stop calls `onStop` with why.
 * Text lines and `log` messages go to the attempt's log.
 */
export const readLines = (
  stdout: Readable,
  maxLineLength: number,
  log: AttemptLog,
  onLine: (line: DecodedLine) => LineVerdict,
  onStop: (reason: string) => void,
): LineReader => {
  let lineNumber = 0;
  let textLines = 0;
  let stopped = false;
  const stopWith = (reason: string) => {
    if (stopped) return;
    stopped = true;
    onStop(reason);
  };
  const tooLong = () =>
    `stdout line ${lineNumber + 1} is longer than the limit of ${maxLineLength} characters`;
  const lines = stdout.pipe(split2({ maxLength: maxLineLength }));
  const drained = new Promise<void>((resolve) => {
    lines.on("data", (text: string) => {
      if (stopped) return;
      if (text.length > maxLineLength) {
        stopWith(tooLong());
        return;
      }
      lineNumber += 1;
      const decoded = decodeLine(text, lineNumber);
      if (decoded.kind === "text") {
        textLines += 1;
        if (textLines <= TEXT_WARNINGS)
          log.note(`warning: stdout line ${lineNumber} is not JSON, kept as a log line: ${text}`);
        else log.line(text);
        if (textLines === TEXT_WARNINGS)
          log.note("further non-JSON stdout lines are logged as they are, without a warning");
      } else if (decoded.kind === "message" && decoded.message.type === "log") {
        log.note(`${decoded.message.level}: ${decoded.message.message}`);
      }
      const verdict = onLine(decoded);
      if (verdict.stop) stopWith(verdict.reason);
    });
    lines.on("error", () => {
      stopWith(tooLong());
      stdout.resume();
      resolve();
    });
    lines.on("end", resolve);
    lines.on("close", resolve);
  });
  return {
    drained,
    stop: () => {
      lines.destroy();
    },
  };
};
