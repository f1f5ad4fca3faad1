import { z } from "zod";
import { closeKey } from "../util/did-you-mean.js";
import type { NodeStatus } from "./graph.js";

/** Which outcomes of its predecessors let a node run. */
export const TRIGGERS = ["all_succeeded", "all_done", "any_failed", "all_failed"] as const;
export type Trigger = (typeof TRIGGERS)[number];
export const DEFAULT_TRIGGER: Trigger = "all_succeeded";

const unknownTrigger = (input: unknown): string => {
  const meant = typeof input === "string" ? closeKey(input, TRIGGERS) : undefined;
  const hint = meant === undefined ? "" : `: did you mean "${meant}"?`;
  return `unknown trigger ${JSON.stringify(input)}${hint} (allowed: ${TRIGGERS.join(", ")})`;
};

export const TriggerSchema = z
  .enum(TRIGGERS, { error: (issue) => unknownTrigger(issue.input) })
  .describe(
    "which outcomes of the predecessors let the node run: all_succeeded (default), all_done, any_failed, all_failed",
  );

/** A predecessor's status and why it has it, as a node's trigger sees it. */
export interface Upstream {
  readonly id: string;
  readonly status: NodeStatus;
}

/** What becomes of a node once its predecessors settled. */
export type Verdict =
  | { readonly kind: "run" }
  | { readonly kind: "blocked" | "skipped"; readonly because: string };

/**
 * A status a node is given by its predecessors' outcomes, without running: an
 * attempt it has is from before a restart.
 */
export const settledWithoutRunning = (status: string): boolean =>
  status === "blocked" || status === "skipped";

/** How a settled predecessor counts: `blocked` and `cancelled` count as failed. */
type Outcome = "succeeded" | "failed" | "skipped";

const outcomeOf = (status: NodeStatus): Outcome | null => {
  switch (status) {
    case "succeeded":
      return "succeeded";
    case "failed":
    case "blocked":
    case "cancelled":
      return "failed";
    case "skipped":
      return "skipped";
    default:
      return null;
  }
};

/**
 * Whether a node with `trigger` runs, given its predecessors' statuses, once
 * every one has settled (succeeded, failed, blocked, skipped or cancelled).
 * With the default trigger a failed predecessor blocks the node and a skipped
 * one skips it; any other trigger that does not hold skips the node.
 */
export const triggerVerdict = (trigger: Trigger, upstream: readonly Upstream[]): Verdict => {
  const unsettled = upstream.find((u) => outcomeOf(u.status) === null);
  if (unsettled !== undefined)
    throw new Error(`trigger evaluated before predecessor ${unsettled.id} settled`);
  const failed = upstream.filter((u) => outcomeOf(u.status) === "failed");
  const succeeded = upstream.filter((u) => outcomeOf(u.status) === "succeeded");
  const skipped = upstream.filter((u) => outcomeOf(u.status) === "skipped");
  const named = (u: Upstream): string => `upstream ${u.id} ${u.status}`;
  switch (trigger) {
    case "all_succeeded":
      if (failed.length > 0) return { kind: "blocked", because: named(failed[0]!) };
      if (skipped.length > 0) return { kind: "skipped", because: named(skipped[0]!) };
      return RUN;
    case "all_done":
      return RUN;
    case "any_failed":
      return failed.length > 0
        ? RUN
        : { kind: "skipped", because: "trigger any_failed: no upstream node failed" };
    case "all_failed": {
      const notFailed = [...succeeded, ...skipped][0];
      return notFailed === undefined
        ? RUN
        : { kind: "skipped", because: `trigger all_failed: ${named(notFailed)}` };
    }
  }
};

const RUN: Verdict = { kind: "run" };
