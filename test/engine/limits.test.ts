import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, limitsOfRun } from "../../src/engine/limits.js";
import type { RunRow } from "../../src/store/rows.js";

const run = (limits: string | null): RunRow => ({
  id: "r1",
  workflow: "/w.json",
  name: "w",
  status: "interrupted",
  reason: null,
  created_at: "2026-01-01T00:00:00.000Z",
  updated_at: "2026-01-01T00:00:00.000Z",
  owner_pid: null,
  heartbeat_at: null,
  epoch: 1,
  owner_started: null,
  scheduled_for: null,
  limits,
  parallel: 1,
});

describe("the limits a run keeps", () => {
  it("are read back as they were stored", () => {
    const limits = {
      maxLineLength: 100,
      maxNodes: 5,
      maxMutations: 7,
      killGrace: 0.5,
      maxOutput: 60,
    };
    expect(limitsOfRun(run(JSON.stringify(limits)))).toEqual(limits);
  });

  it("give a run kept without an output limit the default one", () => {
    const kept = { maxLineLength: 100, maxNodes: 5, maxMutations: 7, killGrace: 0.5 };
    expect(limitsOfRun(run(JSON.stringify(kept)))).toEqual({
      ...kept,
      maxOutput: DEFAULT_LIMITS.maxOutput,
    });
  });

  it("are the defaults for a run from before limits were kept", () => {
    expect(limitsOfRun(run(null))).toEqual(DEFAULT_LIMITS);
  });

  it("are refused, naming the run, when what is stored is not limits", () => {
    expect(() => limitsOfRun(run('{"maxNodes": -1}'))).toThrow(/run r1: the limits stored/);
    expect(() => limitsOfRun(run("not json"))).toThrow(/run r1: the limits stored/);
  });
});
