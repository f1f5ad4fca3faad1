import type { z } from "zod";

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

export const zodIssues = (error: z.ZodError, prefix = ""): Issue[] =>
  error.issues.map((issue) => {
    const path = formatPath(issue.path);
    return { path: prefix && path ? `${prefix}.${path}` : prefix || path, message: issue.message };
  });
