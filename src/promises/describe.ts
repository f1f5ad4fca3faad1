import { describeMutation } from "../graph/mutations.js";
import { describeOrigin, type PromiseRecord, type Violation } from "./types.js";

/** `promise #2 (workflow.json promises[0], scope A)`. */
export const describePromise = (p: PromiseRecord): string =>
  `promise #${p.id} (${describeOrigin(p.origin)}, scope ${p.scope})`;

/**
 * One line for a run's reason: the promise, the rule, the mutation and why, e.g.
 * `promise #2 (workflow.json promises[0], scope A) rule nodes.max broken by
 * A added node M-3 (run m.py): at most 2 node(s), this would be the 3rd`.
 */
export const describeViolation = (v: Violation): string =>
  `${describePromise(v.promise)} rule ${v.clause ?? v.rule} ${brokenHow(v)}: ${v.why}`;

const brokenHow = (v: Violation): string => {
  const by = v.mutation ? describeMutation(v.mutation) : null;
  if (v.whenMade) {
    return by ? `broken by ${by}, before the promise was made` : "broken when the promise was made";
  }
  return by ? `broken by ${by}` : "broken";
};

/** 1st, 2nd, 3rd, 4th, … 11th, 12th, 13th, … 21st. */
export const ordinal = (n: number): string => {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${["th", "st", "nd", "rd"][n % 10] ?? "th"}`;
};
