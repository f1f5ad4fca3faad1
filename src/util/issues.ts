import type { z } from "zod";
import { closeKey, knownKeysAt } from "./did-you-mean.js";

/** `["nodes", 2, "run"]` → `nodes[2].run`: how every error names a place in a JSON document. */
export const formatPath = (path: readonly PropertyKey[]): string =>
  path.reduce<string>(
    (out, key) =>
      typeof key === "number" ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key),
    "",
  );

/** One problem in a JSON document: where, and what was expected. */
export interface Issue {
  readonly path: string;
  readonly message: string;
}

/**
 * zod's issues as orch prints them. Given the schema that was parsed with, an
 * unknown key names the known key it is close to, if any.
 */
export const zodIssues = (error: z.ZodError, prefix = "", schema?: z.ZodType): Issue[] =>
  error.issues.flatMap((issue) => {
    const at = (path: readonly PropertyKey[]): string => {
      const formatted = formatPath(path);
      return prefix && formatted ? `${prefix}.${formatted}` : prefix || formatted;
    };
    if (issue.code !== "unrecognized_keys" || schema === undefined)
      return [{ path: at(issue.path), message: issue.message }];
    const known = knownKeysAt(schema, issue.path);
    return issue.keys.map((key) => {
      const meant = closeKey(key, known);
      return {
        path: at([...issue.path, key]),
        message: `unknown key "${key}"${meant === undefined ? "" : `: did you mean \`${meant}\`?`}`,
      };
    });
  });
