import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { RunEvent } from "../../src/state/events.js";
import { RunState } from "../../src/state/run-state.js";
import { now } from "../../src/store/store.js";
import { runOnFake } from "./harness.js";

/** v -> u -> after, with the loop edge u -> v. */
const LOOP = {
  nodes: [
    { id: "v", run: "t.py" },
    { id: "u", run: "t.py", depends_on: ["v"] },
    { id: "after", run: "t.py", depends_on: ["u"] },
  ],
  edges: [{ from: "u", to: "v", loop: true, max: 3 }],
};

/** The iteration the start message gave the task. */
const iterationOf = (stdin: string): number | undefined =>
  z.object({ iteration: z.number().optional() }).parse(JSON.parse(stdin)).iteration;

/** A succeeded attempt of `id`, as the history records it. */
const succeeded = (id: string, attempt: number, again = false): RunEvent[] => [
  { type: "node_status", id, status: "running", attempt, reason: null, iteration: 1 },
  { type: "attempt_started", id, attempt, executor: "fake", handle: null, log: "-" },
  {
    type: "attempt_ended",
    id,
    attempt,
    status: "succeeded",
    exit_code: 0,
    signal: null,
    reason: null,
    ...(again ? { again: true as const } : {}),
  },
  { type: "node_status", id, status: "succeeded", attempt, reason: null },
];

describe("loops in the engine", () => {
  it("goes round while the source asks, then releases what follows it once", async () => {
    const iterations: [string, number | undefined][] = [];
    const run = runOnFake(LOOP, () => (task) => {
      const iteration = iterationOf(task.launch.stdin);
      iterations.push([task.node, iteration]);
      if (task.node === "u" && (iteration ?? 1) < 3) task.emit({ type: "again" });
      task.emit({ type: "output", values: { seen: iteration ?? null } });
      task.exit(0);
    });
    expect(await run.outcome).toEqual({ status: "succeeded", reason: null });
    expect(iterations).toEqual([
      ["v", 1],
      ["u", 1],
      ["v", 2],
      ["u", 2],
      ["v", 3],
      ["u", 3],
      ["after", undefined],
    ]);
    const state = RunState.replay(run.store.history.read("r").map((e) => e.event));
    expect(state.loopIteration("u", "v")).toBe(3);
    expect(state.carried.get("u")).toEqual({ seen: 2 });
    expect(run.node("after")!.attempts).toBe(1);
  });

  it("a source that asked to go again before orch stopped goes again when the run is resumed", async () => {
    const started: string[] = [];
    const run = runOnFake(
      LOOP,
      () => (task) => {
        started.push(`${task.node}@${iterationOf(task.launch.stdin)}`);
        task.exit(0);
      },
      1,
      // The previous owner recorded u's success with `again`, then died before the next iteration.
      (store) =>
        store.transaction(() =>
          store.history.append("r", now(), [...succeeded("v", 1), ...succeeded("u", 1, true)]),
        ),
    );
    expect(await run.outcome).toEqual({ status: "succeeded", reason: null });
    expect(started).toEqual(["v@2", "u@2", "after@undefined"]);
  });
});
