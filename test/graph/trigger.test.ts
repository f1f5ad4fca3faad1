import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { NodeStatus } from "../../src/graph/graph.js";
import { TRIGGERS, TriggerSchema, triggerVerdict } from "../../src/graph/trigger.js";

const SETTLED = ["succeeded", "failed", "blocked", "skipped", "cancelled"] as const;
const FAILED_LIKE: readonly NodeStatus[] = ["failed", "blocked", "cancelled"];

const upstreamArb = fc
  .array(fc.constantFrom(...SETTLED), { maxLength: 6 })
  .map((statuses) => statuses.map((status, i) => ({ id: `p${i}`, status })));

const count = (statuses: readonly NodeStatus[], wanted: readonly NodeStatus[]) =>
  statuses.filter((s) => wanted.includes(s)).length;

describe("triggerVerdict", () => {
  it("decides every combination of settled predecessors as the trigger rules say", () => {
    fc.assert(
      fc.property(fc.constantFrom(...TRIGGERS), upstreamArb, (trigger, upstream) => {
        const statuses = upstream.map((u) => u.status);
        const failed = count(statuses, FAILED_LIKE);
        const skipped = count(statuses, ["skipped"]);
        const succeeded = count(statuses, ["succeeded"]);
        const verdict = triggerVerdict(trigger, upstream).kind;
        switch (trigger) {
          case "all_succeeded":
            expect(verdict).toBe(failed > 0 ? "blocked" : skipped > 0 ? "skipped" : "run");
            break;
          case "all_done":
            expect(verdict).toBe("run");
            break;
          case "any_failed":
            expect(verdict).toBe(failed > 0 ? "run" : "skipped");
            break;
          case "all_failed":
            expect(verdict).toBe(succeeded + skipped === 0 ? "run" : "skipped");
            break;
        }
        // Only the default trigger ever blocks; the others skip.
        if (trigger !== "all_succeeded") expect(verdict).not.toBe("blocked");
      }),
      { numRuns: 2000 },
    );
  });

  it("ignores the order of the predecessors", () => {
    fc.assert(
      fc.property(fc.constantFrom(...TRIGGERS), upstreamArb, (trigger, upstream) => {
        expect(triggerVerdict(trigger, upstream.toReversed()).kind).toBe(
          triggerVerdict(trigger, upstream).kind,
        );
      }),
    );
  });

  it("names the predecessor that decided a blocked or skipped node", () => {
    const ship = (status: NodeStatus) => [
      { id: "charge", status: "succeeded" as const },
      { id: "ship", status },
    ];
    expect(triggerVerdict("all_succeeded", ship("cancelled"))).toEqual({
      kind: "blocked",
      because: "upstream ship cancelled",
    });
    expect(triggerVerdict("all_succeeded", ship("skipped"))).toEqual({
      kind: "skipped",
      because: "upstream ship skipped",
    });
    expect(triggerVerdict("all_failed", ship("failed"))).toEqual({
      kind: "skipped",
      because: "trigger all_failed: upstream charge succeeded",
    });
  });

  it("refuses to judge before every predecessor settled", () => {
    for (const status of ["pending", "running", "retrying", "waiting"] as const)
      expect(() => triggerVerdict("all_done", [{ id: "a", status }])).toThrow(/a settled/);
  });
});

describe("TriggerSchema", () => {
  it("refuses an unknown trigger, naming the allowed ones and the close one", () => {
    const result = TriggerSchema.safeParse("any_faild");
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe(
      'unknown trigger "any_faild": did you mean "any_failed"? (allowed: all_succeeded, all_done, any_failed, all_failed)',
    );
    expect(TriggerSchema.safeParse("one_success").error?.issues[0]?.message).toContain(
      "(allowed: all_succeeded, all_done, any_failed, all_failed)",
    );
  });
});
