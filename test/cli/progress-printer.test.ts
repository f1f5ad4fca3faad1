import { describe, expect, it } from "vitest";
import { formatProgress } from "../../src/cli/progress-printer.js";
import type { NodeStatus } from "../../src/graph/graph.js";
import { NodeIdSchema } from "../../src/graph/ids.js";

const line = (status: NodeStatus, attempt: number, reason: string | null) =>
  formatProgress({
    kind: "node",
    node: NodeIdSchema.parse("refund"),
    status,
    attempt,
    seconds: status === "succeeded" ? 0.25 : null,
    reason,
    running: [],
    inFlight: 0,
  }).slice("12:00:00".length);

describe("the progress lines of orch start", () => {
  it("gives the attempt of a node that ran, none for one skipped or blocked without running", () => {
    expect(line("succeeded", 1, null)).toBe("  succeeded  refund  (attempt 1, 0.25s)");
    expect(line("skipped", 1, "trigger any_failed: no upstream node failed")).toBe(
      "  skipped    refund — trigger any_failed: no upstream node failed",
    );
    expect(line("blocked", 0, "upstream ship failed")).toBe(
      "  blocked    refund — upstream ship failed",
    );
  });
});
