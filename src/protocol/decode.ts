import { zodIssues } from "../util/issues.js";
import { excessiveDepthAt, MAX_JSON_DEPTH } from "../util/json-depth.js";
import { type TaskMessage, TaskMessageSchema } from "./messages.js";

/** What one stdout line of a task turned out to be. */
export type DecodedLine =
  | { readonly kind: "message"; readonly line: number; readonly message: TaskMessage }
  /** Not JSON: kept as a log line, with a warning. */
  | { readonly kind: "text"; readonly line: number; readonly text: string }
  /** JSON that is not a valid message: fails the task. */
  | { readonly kind: "invalid"; readonly line: number; readonly error: string }
  | { readonly kind: "blank"; readonly line: number };

/** A line that does not start like JSON is text: no need to try parsing it. */
const JSON_START = /^[{["\d-]|^(?:true|false|null)/;

/** Decode one stdout line (without its newline) of a task. */
export const decodeLine = (text: string, line: number): DecodedLine => {
  const trimmed = text.trim();
  if (trimmed === "") return { kind: "blank", line };
  if (!JSON_START.test(trimmed)) return { kind: "text", line, text };
  if (excessiveDepthAt(trimmed) !== null) {
    return {
      kind: "invalid",
      line,
      error: `stdout line ${line} nests deeper than ${MAX_JSON_DEPTH} levels`,
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return { kind: "text", line, text };
  }
  const result = TaskMessageSchema.safeParse(value);
  if (result.success) return { kind: "message", line, message: result.data };
  const problems = zodIssues(result.error).map((i) =>
    i.path ? `${i.path}: ${i.message}` : i.message,
  );
  return {
    kind: "invalid",
    line,
    error: `stdout line ${line} is not a valid message: ${problems.join("; ")}`,
  };
};
