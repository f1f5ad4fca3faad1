import { z } from "zod";

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why `text` cannot be handed to a process (as an argument or a path), or null if it can. */
export const processStringProblem = (text: string): string | null => {
  if (text.includes("\0")) return "contains a NUL character, which a process argument cannot hold";
  if (LONE_SURROGATE.test(text))
    return "contains a lone UTF-16 surrogate, which is not text a process argument can hold";
  return null;
};

/**
 * A string that becomes part of a task's command line (its script or an
 * argument): refused where it arrives rather than crashing the spawner later.
 */
export const refuseProcessProblems = (text: string, ctx: z.RefinementCtx): void => {
  const problem = processStringProblem(text);
  if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
};

export const ProcessStringSchema = z.string().superRefine(refuseProcessProblems);
