import { describe, expect, it } from "vitest";
import { statusTable, type TableDocument } from "../../src/cli/status-table.js";

const node = (id: string, status: string, extra: object = {}) => ({
  id,
  status,
  created_by: null,
  provisional: false,
  attempts: 1,
  run: "tasks/a.py",
  reason: null,
  started_at: null,
  finished_at: null,
  outputs: null,
  inputs: null,
  history: [],
  ...extra,
});

const doc = (nodes: TableDocument["nodes"]): TableDocument => ({
  run: {
    id: "r",
    workflow: "wf.json",
    name: "w",
    status: "running",
    parallel: 1,
    scheduled_for: null,
    reason: null,
    created_at: "2026-01-01T00:00:00.000Z",
    updated_at: "2026-01-01T00:00:00.000Z",
  },
  nodes,
});

describe("the orch status table", () => {
  it("shows when a retrying node's next attempt is due, and what a waiting node asks", () => {
    const table = statusTable(
      doc([
        node("A", "retrying", { next_attempt_at: "2026-01-01T00:00:30.000Z" }),
        node("B", "waiting", { ask: { prompt: "Approve the deploy?", schema: {} } }),
        node("C", "pending"),
      ]),
    );
    expect(table.split("\n")).toEqual([
      "run r  w  running  (parallel 1)",
      "NODE  STATUS     ATTEMPTS  CREATED BY",
      "A     retrying   1         -  (next attempt at 2026-01-01T00:00:30.000Z)",
      "B     waiting    1         -  (asks: Approve the deploy?)",
      "C     pending    1         -",
      "answer B with: orch answer r B --json '…'",
      "",
    ]);
  });

  it("lists the attempt of a node a restart left skipped or blocked, not the only attempt of one that ran", () => {
    const attempt = (status: string) => ({
      attempt: 1,
      status,
      started_at: "2026-01-01T00:00:01.000Z",
      finished_at: "2026-01-01T00:00:02.000Z",
      exit_code: 0,
      signal: null,
      reason: null,
      log: "logs/r/x.1.log",
    });
    const table = statusTable(
      doc([
        node("refund", "skipped", {
          trigger: "any_failed",
          reason: "trigger any_failed: no upstream node failed",
          history: [attempt("succeeded")],
        }),
        node("after", "blocked", {
          reason: "upstream refund failed",
          history: [attempt("succeeded")],
        }),
        node("ship", "succeeded", { history: [attempt("succeeded")] }),
      ]),
    );
    expect(table.split("\n").slice(2)).toEqual([
      "refund  skipped    1         -  (trigger: any_failed; trigger any_failed: no upstream node failed)",
      "          attempt 1 succeeded",
      "after   blocked    1         -  (upstream refund failed)",
      "          attempt 1 succeeded",
      "ship    succeeded  1         -",
      "",
    ]);
  });

  it("escapes what a task wrote: a prompt cannot forge a line or clear the screen", () => {
    const table = statusTable(
      doc([node("B", "waiting", { ask: { prompt: "ok?\n14:00:00  run succeeded\u001b[2J" } })]),
    );
    expect(table).not.toContain("\u001b");
    // The run, the header, the node and the command that answers it.
    expect(table.trimEnd().split("\n")).toHaveLength(4);
    expect(table).toContain("(asks: ok?\\n14:00:00  run succeeded\\x1b[2J)");
  });
});
