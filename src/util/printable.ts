import { z } from "zod";

/**
 * C0 and C1 control characters, DEL, and the Unicode line and paragraph
 * separators: what can end a line, move the cursor or drive a terminal.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
const HAS_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

const NAMED: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

const escapeOne = (char: string): string => {
  const named = NAMED[char];
  if (named !== undefined) return named;
  const code = char.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
};

/**
 * `text` with every control character written as a visible escape (`\n`,
 * `\x1b`, `\u2028`): a string a task controls, printed this way, cannot forge a
 * line of orch's output or clear the screen.
 */
export const printable = (text: string): string => text.replace(CONTROL, escapeOne);

/** Whether `text` holds a control character (see `printable`). */
export const hasControl = (text: string): boolean => HAS_CONTROL.test(text);

/**
 * A string that is a name or a path, where a control character cannot mean
 * anything: refused with the character's position, escaped.
 */
export const PlainStringSchema = z.string().superRefine((text, ctx) => {
  const at = text.search(HAS_CONTROL);
  if (at >= 0)
    ctx.addIssue({
      code: "custom",
      message: `holds a control character (${escapeOne(text.charAt(at))} at position ${at + 1}): expected printable text`,
    });
});
