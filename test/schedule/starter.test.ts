import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../src/engine/limits.js";
import { RotatingLog } from "../../src/log/rotating-log.js";
import { registerDueRuns } from "../../src/schedule/starter.js";
import { Store } from "../../src/store/store.js";
import { fixture } from "../cli/helpers.js";

const setup = (catchup: boolean) => {
  const dir = mkdtempSync(join(tmpdir(), "orch-schedule-"));
  const store = Store.open(join(dir, "orch.db"));
  const schedule = {
    name: "hourly",
    workflow: fixture("diamond"),
    cron: "0 * * * *",
    timezone: "UTC",
    catchup,
    created_at: "2026-01-01T00:30:00.000Z",
  };
  store.schedules.addSchedule(schedule);
  return { store, schedule, log: new RotatingLog(join(dir, "orch.log")) };
};

describe("registering due scheduled runs", () => {
  it("registers each time once, with scheduled_for, however often it is asked", () => {
    const { store, schedule, log } = setup(false);
    const now = new Date("2026-01-01T03:10:00Z");
    const first = registerDueRuns(store, schedule, DEFAULT_LIMITS, now, log);
    expect(first).toEqual([
      { runId: "hourly.2026-01-01T03:00:00Z", scheduledFor: "2026-01-01T03:00:00.000Z" },
    ]);
    expect(registerDueRuns(store, schedule, DEFAULT_LIMITS, now, log)).toEqual([]);
    expect(store.runs.getRun("hourly.2026-01-01T03:00:00Z")?.scheduled_for).toBe(
      "2026-01-01T03:00:00.000Z",
    );
    expect(store.runs.listRuns()).toHaveLength(1);
    const later = registerDueRuns(
      store,
      schedule,
      DEFAULT_LIMITS,
      new Date("2026-01-01T04:00:01Z"),
      log,
    );
    expect(later.map((r) => r.runId)).toEqual(["hourly.2026-01-01T04:00:00Z"]);
    store.close();
  });

  it("with catchup registers every missed time, in order", () => {
    const { store, schedule, log } = setup(true);
    const due = registerDueRuns(
      store,
      schedule,
      DEFAULT_LIMITS,
      new Date("2026-01-01T03:10:00Z"),
      log,
    );
    expect(due.map((r) => r.scheduledFor)).toEqual([
      "2026-01-01T01:00:00.000Z",
      "2026-01-01T02:00:00.000Z",
      "2026-01-01T03:00:00.000Z",
    ]);
    store.close();
  });
});
