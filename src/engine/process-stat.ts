import { readFileSync } from "node:fs";

/** What /proc/PID/stat says of a process: its state letter and start time. */
export interface ProcessStat {
  /** `R`, `S`, `T` (stopped), `Z` (zombie), … */
  readonly state: string;
  /** Clock ticks after boot at which it started: with the pid, it names one process. */
  readonly started: number;
}

/**
 * Parse a /proc/PID/stat line. The command name (field 2) is in parentheses and
 * may hold spaces and parentheses itself: fields are counted after the last `)`.
 */
export const parseProcessStat = (line: string): ProcessStat | null => {
  const close = line.lastIndexOf(")");
  if (close === -1) return null;
  // Field 3 (state) is the first after the name; field 22 (starttime) the 20th.
  const fields = line.slice(close + 2).split(" ");
  const state = fields[0];
  const started = Number(fields[19]);
  if (state === undefined || state === "" || !Number.isSafeInteger(started)) return null;
  return { state, started };
};

/** The process with this pid now, or null when there is none. */
export const processStat = (pid: number): ProcessStat | null => {
  try {
    return parseProcessStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return null;
  }
};

/**
 * Whether `pid` is a live process, and the one that started at `started` when
 * that is known: a zombie has exited (only its parent has not reaped it yet),
 * and a pid handed to a later process is not the one recorded.
 */
export const isSameLiveProcess = (pid: number, started: number | null): boolean => {
  const stat = processStat(pid);
  if (stat === null || stat.state === "Z" || stat.state === "X") return false;
  return started === null || stat.started === started;
};
