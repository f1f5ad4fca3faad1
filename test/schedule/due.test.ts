import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cronProblem, dueTimes, nextTime } from "../../src/schedule/due.js";
import { scheduledRunId } from "../../src/schedule/starter.js";

const at = (iso: string): Date => new Date(iso);
const hourly = { cron: "0 * * * *", timezone: "UTC", catchup: false };

describe("due scheduled times", () => {
  it("are none before the first time comes", () => {
    expect(dueTimes(hourly, at("2026-01-01T00:00:00Z"), at("2026-01-01T00:59:59Z"))).toEqual([]);
  });

  it("is the time just passed", () => {
    expect(dueTimes(hourly, at("2026-01-01T00:00:00Z"), at("2026-01-01T01:00:05Z"))).toEqual([
      at("2026-01-01T01:00:00Z"),
    ]);
  });

  it("after downtime is only the latest missed time", () => {
    expect(dueTimes(hourly, at("2026-01-01T00:00:00Z"), at("2026-01-01T05:30:00Z"))).toEqual([
      at("2026-01-01T05:00:00Z"),
    ]);
  });

  it("after downtime is every missed time, in order, with catchup", () => {
    const due = dueTimes(
      { ...hourly, catchup: true },
      at("2026-01-01T00:00:00Z"),
      at("2026-01-01T03:30:00Z"),
    );
    expect(due).toEqual([
      at("2026-01-01T01:00:00Z"),
      at("2026-01-01T02:00:00Z"),
      at("2026-01-01T03:00:00Z"),
    ]);
  });

  it("never includes the time already taken (`since`)", () => {
    expect(dueTimes(hourly, at("2026-01-01T01:00:00Z"), at("2026-01-01T01:00:00Z"))).toEqual([]);
  });

  it("follow the schedule's time zone", () => {
    const daily = { cron: "0 2 * * *", timezone: "Europe/Paris", catchup: false };
    expect(nextTime(daily, at("2026-01-01T00:00:00Z"))).toEqual(at("2026-01-01T01:00:00Z"));
  });

  it("with catchup are after since, at or before now, ascending, each once", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("*/5 * * * *", "0 * * * *", "30 2 * * *", "0 0 * * 1"),
        fc.date({
          min: at("2025-01-01T00:00:00Z"),
          max: at("2027-01-01T00:00:00Z"),
          noInvalidDate: true,
        }),
        fc.integer({ min: 0, max: 24 * 60 }),
        (cron, since, minutes) => {
          const now = new Date(since.getTime() + minutes * 60_000);
          const all = dueTimes({ cron, timezone: "UTC", catchup: true }, since, now);
          for (const [i, t] of all.entries()) {
            expect(t > since && t <= now).toBe(true);
            if (i > 0) expect(t > all[i - 1]!).toBe(true);
          }
          const latest = dueTimes({ cron, timezone: "UTC", catchup: false }, since, now);
          expect(latest).toEqual(all.slice(-1));
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe("cron expressions", () => {
  it("a bad one is refused with the reason", () => {
    expect(cronProblem("61 * * * *")).toMatch(/minute/);
    expect(cronProblem("* * * * *", "Nowhere/Else")).toMatch(/Nowhere\/Else/);
  });
  it("a good one passes", () => {
    expect(cronProblem("0 2 * * *", "UTC")).toBeUndefined();
  });
});

describe("scheduled run ids", () => {
  it("name the schedule and the time, in the run id alphabet", () => {
    expect(scheduledRunId("nightly", at("2026-12-06T02:00:00Z"))).toBe(
      "nightly.2026-12-06T02:00:00Z",
    );
  });
});
