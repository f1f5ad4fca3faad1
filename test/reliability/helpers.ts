/**
 * Helpers for the reliability tests: each test gets a scratch directory with its
 * own database, writes a small workflow and its Python tasks there, and drives
 * the real binary (`node dist/cli/orch.js`, built by `npm run build`).
 */

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import { execa } from "execa";
import { expect } from "vitest";
import { z } from "zod";
import { writeFiles } from "../cli/helpers.js";

export const ROOT = resolve(import.meta.dirname, "../..");
export const MAIN = join(ROOT, "dist/cli/orch.js");

if (!existsSync(MAIN)) {
  throw new Error(`${MAIN} is missing: build first (npm run build)`);
}

export interface CliResult {
  readonly exitCode: number;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall-clock seconds the command took. */
  readonly seconds: number;
}

const toResult = (
  result: {
    exitCode?: number | undefined;
    signal?: string | undefined;
    stdout: unknown;
    stderr: unknown;
  },
  started: number,
): CliResult => ({
  exitCode: result.exitCode ?? -1,
  signal: result.signal ?? null,
  stdout: String(result.stdout ?? ""),
  stderr: String(result.stderr ?? ""),
  seconds: (Date.now() - started) / 1000,
});

const spawnOrch = (db: string, args: readonly string[]) =>
  execa("node", [MAIN, ...args, "--db", db], { cwd: ROOT, reject: false, timeout: 170_000 });

/** Run orch to its end on a database of the caller's choosing (`--db` added). */
export const orchOn = async (db: string, ...args: string[]): Promise<CliResult> => {
  const started = Date.now();
  return toResult(await spawnOrch(db, args), started);
};

/** orch running in the background: await it for its result. */
export type OrchChild = ReturnType<typeof spawnOrch>;

export interface Sandbox {
  readonly dir: string;
  readonly db: string;
  /** Run orch to its end (`--db` added). */
  orch(...args: string[]): Promise<CliResult>;
  /** Start orch in the background (`--db` added); await it for its result. */
  spawn(...args: string[]): OrchChild;
  /** Write files (path → content) under the sandbox; returns the absolute path of the first. */
  write(files: Record<string, string>): string;
  /** Remove the sandbox. */
  remove(): void;
}

export const sandbox = (prefix = "orch-rel-"): Sandbox => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const db = join(dir, "orch.db");
  const spawn = (...args: string[]) => spawnOrch(db, args);
  return {
    dir,
    db,
    spawn,
    orch: (...args) => orchOn(db, ...args),
    write: (files) => writeFiles(dir, files),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
};

/** Await a background orch and time it from `started`. */
export const finish = async (child: OrchChild, started: number): Promise<CliResult> =>
  toResult(await child, started);

/** A workflow file's JSON. */
export const workflow = (name: string, nodes: readonly object[], extra: object = {}): string =>
  JSON.stringify({ name, nodes, ...extra }, null, 1);

export const HistorySchema = z.array(
  z.object({
    attempt: z.number(),
    status: z.string(),
    started_at: z.string(),
    finished_at: z.string().nullable(),
    exit_code: z.number().nullable(),
    signal: z.string().nullable(),
    reason: z.string().nullable(),
    log: z.string(),
  }),
);

export const StatusSchema = z.object({
  run: z.object({ id: z.string(), status: z.string(), reason: z.string().nullable() }),
  nodes: z.array(
    z.object({
      id: z.string(),
      status: z.string(),
      created_by: z.string().nullable(),
      attempts: z.number(),
      reason: z.string().nullable(),
      outputs: z.unknown(),
      history: HistorySchema,
    }),
  ),
  edges: z.array(z.object({ from: z.string(), to: z.string(), created_by: z.string().nullable() })),
});
export type Status = z.infer<typeof StatusSchema>;

export const status = async (sb: Sandbox, run: string): Promise<Status> => {
  const result = await sb.orch("status", run, "--json");
  if (result.exitCode !== 0) throw new Error(`orch status ${run} failed: ${result.stderr}`);
  return StatusSchema.parse(JSON.parse(result.stdout));
};

export const nodeOf = (s: Status, id: string): Status["nodes"][number] => {
  const node = s.nodes.find((n) => n.id === id);
  if (!node) throw new Error(`run ${s.run.id} has no node ${id}`);
  return node;
};

/** Open a database read-only, for checks made straight against SQLite. */
export const openReadOnly = (path: string): Database.Database =>
  new Database(path, { readonly: true, fileMustExist: true });

/**
 * Whether a process exists and is not a zombie (a zombie is dead; in a container
 * nothing may reap orphans, so `kill(pid, 0)` alone would call it alive).
 */
export const isAlive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
};

/** Poll until `check` holds or `ms` pass; returns whether it held. */
export const waitFor = async (check: () => boolean, ms: number, step = 50): Promise<boolean> => {
  const deadline = Date.now() + ms;
  for (;;) {
    if (check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(step);
  }
};

/** Read whitespace-separated pids a task wrote to `file`, once it is there. */
export const readPids = async (file: string, ms = 15_000): Promise<number[]> => {
  const ok = await waitFor(() => existsSync(file), ms);
  if (!ok) throw new Error(`${file} did not appear within ${ms} ms`);
  return readFileSync(file, "utf8").trim().split(/\s+/).map(Number);
};

/** Kill leftover test processes, quietly. */
export const killQuietly = (...pids: readonly number[]): void => {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
};

/** A process's peak resident set size in kB (VmHWM), or null once it is gone. */
export const peakRssKb = (pid: number): number | null => {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
};

/**
 * orch handled whatever it was given: no stack trace, no internal error, no
 * JavaScript exception text on its stderr.
 */
export const expectNoCrash = (result: CliResult): void => {
  expect(result.stderr, "stderr shows a stack trace").not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  expect(result.stderr, "stderr shows an internal error").not.toMatch(/internal error/i);
  expect(result.stderr, "stderr shows a JavaScript exception").not.toMatch(
    /RangeError|TypeError|ReferenceError|SyntaxError|Maximum call stack|Node\.js v\d+/,
  );
  expect(result.signal, "orch died of a signal").toBeNull();
};

/** A deterministic source of randomness in [0, 1) (mulberry32), so a failing crash run can be replayed. */
export const seededRandom = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/**
 * Scratch sandboxes and stray pids for one test file, cleaned up by `cleanup`
 * (`afterEach`, or `afterAll` where tests run concurrently).
 */
export const scratchSpace = (cleanup: (fn: () => void) => void) => {
  const sandboxes: Sandbox[] = [];
  const leftovers: number[] = [];
  cleanup(() => {
    killQuietly(...leftovers.splice(0));
    for (const sb of sandboxes.splice(0)) sb.remove();
  });
  const scratch = (): Sandbox => {
    const sb = sandbox();
    sandboxes.push(sb);
    return sb;
  };
  return { scratch, leftovers };
};
