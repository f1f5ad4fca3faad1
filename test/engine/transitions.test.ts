import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RunJournal } from "../../src/engine/journal.js";
import {
  ATTEMPT_TRANSITIONS,
  checkAttemptTransition,
  checkNodeTransition,
  IllegalTransition,
  NODE_TRANSITIONS,
} from "../../src/engine/transitions.js";
import { NODE_STATUSES } from "../../src/graph/graph.js";
import { ATTEMPT_STATUSES } from "../../src/state/attempt-status.js";
import type { RunEvent } from "../../src/state/events.js";
import { RunState } from "../../src/state/run-state.js";
import { Store } from "../../src/store/store.js";

describe("the node and attempt state machine", () => {
  it("allows exactly the transitions of the table and refuses every other one", () => {
    let refused = 0;
    for (const from of NODE_STATUSES) {
      for (const to of NODE_STATUSES) {
        const check = () => checkNodeTransition("n", from, to);
        if (NODE_TRANSITIONS[from].includes(to)) expect(check).not.toThrow();
        else {
          expect(check).toThrow(IllegalTransition);
          expect(check).toThrow(`node n cannot go from ${from} to ${to}`);
          refused += 1;
        }
      }
    }
    expect(refused).toBeGreaterThan(50);
    for (const from of ATTEMPT_STATUSES) {
      for (const to of ATTEMPT_STATUSES) {
        const check = () => checkAttemptTransition("n", 2, from, to);
        if (ATTEMPT_TRANSITIONS[from].includes(to)) expect(check).not.toThrow();
        else expect(check).toThrow(`attempt 2 of node n cannot go from ${from} to ${to}`);
      }
    }
  });

  it.each([
    ["succeeded", "running", /succeeded is final: only a restart runs it again/],
    ["failed", "running", /failed is final/],
    ["pending", "succeeded", /from pending: running, blocked, skipped, cancelled/],
    ["retrying", "succeeded", /from retrying: running, cancelled/],
    ["blocked", "pending", /blocked is final/],
  ] as const)("refuses %s -> %s", (from, to, message) => {
    expect(() => checkNodeTransition("n", from, to)).toThrow(message);
  });

  it("refuses an attempt that ends twice", () => {
    expect(() => checkAttemptTransition("n", 1, "succeeded", "failed")).toThrow(
      /attempt 1 of node n cannot go from succeeded to failed/,
    );
  });

  it("refuses to start a succeeded node again, before anything is written", () => {
    const store = Store.open(join(mkdtempSync(join(tmpdir(), "orch-tr-")), "orch.db"));
    const at = "2026-01-01T00:00:00.000Z";
    store.runs.insertRun({ id: "r", workflow: "/w.json", name: "w", at });
    const events: RunEvent[] = [
      { type: "node_added", id: "a", run: "a.py", args: [], params: {}, created_by: null },
      { type: "node_status", id: "a", status: "running", attempt: 1, reason: null },
      { type: "node_status", id: "a", status: "succeeded", attempt: 1, reason: null },
    ];
    store.history.append("r", at, events);
    const journal = new RunJournal(store, "r", RunState.replay(events));
    expect(() => journal.begin("a", 2)).toThrow(/node a cannot go from succeeded to running/);
    expect(() =>
      journal.record([
        { type: "node_status", id: "a", status: "pending", attempt: 1, reason: null },
      ]),
    ).toThrow(IllegalTransition);
    expect(store.history.read("r")).toHaveLength(3);
    store.close();
  });
});
