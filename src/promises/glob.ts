import { posix } from "node:path";
import picomatch from "picomatch";

/**
 * Id globs use picomatch syntax matched against whole node ids. `dot` makes a
 * leading `.` ordinary; `posix` makes `[!a]` a negated class as in shells
 * (without it picomatch 4 reads `[!a]` as "`!` or `a`").
 */
const GLOB_OPTIONS: picomatch.PicomatchOptions = { dot: true, posix: true };

export type IdMatcher = (id: string) => boolean;

const cache = new Map<string, IdMatcher>();

/** A matcher for one id glob, compiled once per distinct glob. */
export const compileIdGlob = (glob: string): IdMatcher => {
  let matcher = cache.get(glob);
  if (!matcher) {
    const re = picomatch.makeRe(glob, GLOB_OPTIONS);
    // picomatch also accepts an input equal to the glob itself; keep that.
    matcher = (id) => id === glob || re.test(id);
    cache.set(glob, matcher);
  }
  return matcher;
};

/** A matcher for "matches one of these globs". */
export const compileIdGlobs = (globs: readonly string[]): IdMatcher => {
  const matchers = globs.map(compileIdGlob);
  if (matchers.length === 1) return matchers[0]!;
  return (id) => matchers.some((match) => match(id));
};

/**
 * Scripts are compared as normalized relative paths: `./m.py` is `m.py`.
 * Memoised: a task adding many nodes names the same few scripts again and again.
 */
export const normalizeScript = (script: string): string => {
  let normal = normalizedScripts.get(script);
  if (normal === undefined) {
    normal = posix.normalize(script);
    if (normalizedScripts.size >= MAX_MEMOISED_SCRIPTS) normalizedScripts.clear();
    normalizedScripts.set(script, normal);
  }
  return normal;
};

const normalizedScripts = new Map<string, string>();
const MAX_MEMOISED_SCRIPTS = 4096;

const ID_CHAR = /[A-Za-z0-9._:-]/;
const GLOB_CHAR = /[*?[\]{}()!,|+@^\\]/;
const CLOSER: Readonly<Record<string, string>> = { "[": "]", "{": "}", "(": ")" };

/**
 * What makes `glob` unable to match a sensible node id, or null. Node ids are
 * letters, digits and `._:-`, so any other character must be glob syntax, and
 * brackets must balance (picomatch silently reads `M-[` as a literal `[`).
 */
export const globProblem = (glob: string): string | null => {
  if (glob.includes("/")) return "node ids never contain '/'";
  const shape = bracketProblem(glob);
  if (shape) return shape;
  let re: RegExp;
  try {
    re = picomatch.makeRe(glob, GLOB_OPTIONS);
  } catch (error) {
    return `picomatch cannot compile it: ${(error as Error).message}`;
  }
  if (re.source === "$^") return "it can never match anything";
  return null;
};

const bracketProblem = (glob: string): string | null => {
  const open: string[] = [];
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "\\") {
      const next = glob[i + 1];
      if (next === undefined) return "it ends with a lone '\\'";
      if (!ID_CHAR.test(next))
        return `'\\${next}' matches a literal '${next}', which no node id contains`;
      i++;
    } else if (c === "[") {
      const end = classEnd(glob, i);
      if (end < 0) return `'[' at position ${i + 1} is never closed`;
      i = end;
    } else if (c === "{" || c === "(") {
      open.push(c);
    } else if (c === "}" || c === ")" || c === "]") {
      const last = open.pop();
      if (last === undefined || CLOSER[last] !== c) {
        return `'${c}' at position ${i + 1} closes nothing`;
      }
    } else if (!ID_CHAR.test(c) && !GLOB_CHAR.test(c)) {
      return `'${c}' is neither glob syntax nor a character of node ids (letters, digits and ._:-)`;
    }
  }
  const unclosed = open.pop();
  return unclosed === undefined ? null : `'${unclosed}' is never closed`;
};

/** Index of the `]` closing the class that opens at `start`, or -1. */
const classEnd = (glob: string, start: number): number => {
  let i = start + 1;
  if (glob[i] === "!" || glob[i] === "^") i++;
  // A `]` right after the opening is a literal member of the class.
  if (glob[i] === "]") i++;
  for (; i < glob.length; i++) {
    const c = glob[i];
    if (c === "\\") i++;
    else if (c === "[" && glob[i + 1] === ":") {
      const close = glob.indexOf(":]", i + 2);
      if (close < 0) return -1;
      i = close + 1;
    } else if (c === "]") return i;
  }
  return -1;
};
