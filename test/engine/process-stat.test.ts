import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isSameLiveProcess, parseProcessStat, processStat } from "../../src/engine/process-stat.js";

/** A /proc/PID/stat line with the given command name, state and start time. */
const statLine = (comm: string, state: string, started: number): string => {
  const fields = [state, ...Array.from({ length: 18 }, (_, i) => String(i)), String(started), "9"];
  return `1234 (${comm}) ${fields.join(" ")}`;
};

describe("/proc/PID/stat", () => {
  it("reads the state and start time whatever the command name holds", () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 16 }),
        fc.constantFrom("R", "S", "T", "Z", "D"),
        fc.nat(),
        (comm, state, started) => {
          expect(parseProcessStat(statLine(comm, state, started))).toEqual({ state, started });
        },
      ),
    );
  });

  it("this process is alive, and not when another start time is recorded for its pid", () => {
    const self = processStat(process.pid);
    expect(self?.state).toMatch(/[RS]/);
    expect(isSameLiveProcess(process.pid, self!.started)).toBe(true);
    expect(isSameLiveProcess(process.pid, null)).toBe(true);
    expect(isSameLiveProcess(process.pid, self!.started + 1)).toBe(false);
  });

  it("a pid with no process is not alive", () => {
    expect(isSameLiveProcess(2 ** 22 + 1, null)).toBe(false);
  });
});
