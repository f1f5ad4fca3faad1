import { type ChildProcessByStdio, spawn } from "node:child_process";
import { isAbsolute, join } from "node:path";
import { PassThrough, type Readable, type Writable } from "node:stream";
import { PACKAGE_ROOT } from "../package-root.js";
import { FrameReader, type ProcessFrame } from "./spawner-frames.js";

/** The spawner's Python half; see its docstring for the protocol. */
const SPAWNER_SCRIPT = join(PACKAGE_ROOT, "src", "engine", "spawner.py");
/** The warm starter: the same protocol, tasks forked from a warm interpreter. */
const WARM_STARTER_SCRIPT = join(PACKAGE_ROOT, "src", "engine", "warm_starter.py");

/** The Python program a `Spawner` runs, and what it is called in errors. */
export interface SpawnerProgram {
  readonly name: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Cold starts: `posix_spawn` of every task, from an isolated interpreter. */
export const COLD_SPAWNER: SpawnerProgram = {
  name: "task spawner",
  args: ["-I", "-S", SPAWNER_SCRIPT],
};

/**
 * Warm starts: an interpreter that imported the SDK and `preload` with the tasks'
 * environment, in the workflow's folder, forks each task.
 */
export const warmStarter = (
  preload: readonly string[],
  cwd: string,
  env: Readonly<Record<string, string | undefined>>,
): SpawnerProgram => ({
  name: "warm starter",
  args: [WARM_STARTER_SCRIPT, ...preload],
  cwd,
  env,
});

export interface SpawnRequest {
  /** The program and its arguments; no shell. */
  readonly argv: readonly [string, ...string[]];
  /** Absolute. */
  readonly cwd: string;
  /** The process's whole environment. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Written to its stdin, which is then closed. */
  readonly stdin: string;
  /** Absolute path of the file its stderr is appended to. */
  readonly stderrPath: string;
}

/** How a spawned process ended, as far as orch can know. */
export type ProcessEnd =
  | { readonly kind: "exited"; readonly code: number | null; readonly signal: string | null }
  | { readonly kind: "not-started"; readonly reason: string }
  /** The spawner died: the process's fate is unknown, its group should be killed. */
  | { readonly kind: "lost"; readonly reason: string };

export interface SpawnedProcess {
  /** Its pid once it runs, which is also its process group's id; null if it never ran. */
  readonly pid: Promise<number | null>;
  /** Its stdout, ending when every process holding it has closed it. */
  readonly stdout: Readable;
  readonly end: Promise<ProcessEnd>;
  /**
   * Resolves if bytes arrive on its stdout after it exited (and the pipe was
   * drained): another process's, never the task's. orch then stops reading.
   */
  readonly lateOutput: Promise<void>;
}

interface Entry {
  readonly stdout: PassThrough;
  readonly resolvePid: (pid: number | null) => void;
  readonly resolveEnd: (end: ProcessEnd) => void;
  readonly resolveLate: () => void;
  started: boolean;
  reading: boolean;
  exited: boolean;
}

type SpawnerProcess = ChildProcessByStdio<Writable, Readable, Readable>;

/** Bytes of the spawner's stderr kept to explain its death. */
const STDERR_TAIL = 2_000;

/**
 * Starts processes through one long-lived spawner process (`spawner.py`, run with
 * the tasks' interpreter) instead of `child_process.spawn`: Node 20 forks the
 * whole orchestrator for every child on Linux, ~1 ms a task more than a small
 * Python process spawning with posix_spawn (bench/README.md). The spawner relays
 * each task's stdout as framed chunks and reports its pid and exit; orch signals
 * the task's process group itself. If the spawner dies, the processes in flight
 * are reported lost and the next spawn starts a new one.
 */
export class Spawner {
  private helper: SpawnerProcess | null = null;
  private readonly entries = new Map<number, Entry>();
  private nextId = 0;
  private stderrTail = "";
  private closed = false;

  constructor(
    private readonly python: string,
    private readonly program: SpawnerProgram = COLD_SPAWNER,
  ) {
    this.helper = this.startHelper();
  }

  spawn(request: SpawnRequest): SpawnedProcess {
    if (this.closed) throw new Error("the spawner is closed");
    const { argv, cwd, env, stdin, stderrPath } = request;
    if (!isAbsolute(cwd) || !isAbsolute(stderrPath))
      throw new Error("spawn: cwd and stderrPath must be absolute paths");
    const id = this.nextId++;
    let resolvePid!: (pid: number | null) => void;
    let resolveEnd!: (end: ProcessEnd) => void;
    const pid = new Promise<number | null>((resolve) => {
      resolvePid = resolve;
    });
    const end = new Promise<ProcessEnd>((resolve) => {
      resolveEnd = resolve;
    });
    let resolveLate!: () => void;
    const lateOutput = new Promise<void>((resolve) => {
      resolveLate = resolve;
    });
    const entry: Entry = {
      stdout: new PassThrough(),
      resolvePid,
      resolveEnd,
      resolveLate,
      started: false,
      reading: true,
      exited: false,
    };
    this.entries.set(id, entry);
    this.helper ??= this.startHelper();
    const helper = this.helper;
    helper.stdin.write(
      `${JSON.stringify({ op: "spawn", id, argv, cwd, env, stdin, stderr: stderrPath })}\n`,
    );
    return { pid, stdout: entry.stdout, end, lateOutput };
  }

  /** Stop relaying process `id`'s stdout: a process it left behind holds it open. */
  private stopReading(id: number, entry: Entry): void {
    if (!entry.reading) return;
    entry.reading = false;
    this.helper?.stdin.write(`${JSON.stringify({ op: "close", id })}\n`);
    this.forgetIfDone(id, entry);
  }

  /**
   * No more spawns: the spawner exits once it reads that, killing anything still
   * running. orch's exit waits for it, so the tasks' CPU time is counted in orch's
   * (what `time orch start` shows).
   */
  close(): void {
    this.closed = true;
    this.helper?.stdin.end();
  }

  /**
   * The spawner stopped answering (a task stopped it with SIGSTOP, say): it is
   * killed, what it was running is reported lost (orch kills those process
   * groups), and the next spawn starts a new one.
   */
  replace(): void {
    const helper = this.helper;
    if (helper === null) return;
    helper.kill("SIGKILL");
    this.onHelperGone(helper, "stopped answering and was killed");
  }

  private startHelper(): SpawnerProcess {
    this.stderrTail = "";
    // Its own session: a terminal's Ctrl-C goes to orch, which stops the tasks itself.
    const { args, cwd, env } = this.program;
    const helper = spawn(this.python, args, {
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
      ...(cwd === undefined ? {} : { cwd }),
      ...(env === undefined ? {} : { env }),
    });
    const frames = new FrameReader({
      frame: (frame) => this.onFrame(frame),
      bytes: (id, bytes) => {
        const entry = this.entries.get(id);
        if (entry?.exited) {
          entry.resolveLate();
          this.stopReading(id, entry);
          return;
        }
        if (entry?.reading && !entry.stdout.write(bytes)) {
          // Backpressure for every task at once: the spawner then blocks on its stdout.
          helper.stdout.pause();
          const resume = () => {
            entry.stdout.off("drain", resume).off("close", resume);
            helper.stdout.resume();
          };
          entry.stdout.on("drain", resume).on("close", resume);
        }
      },
      invalid: (header) => {
        helper.kill("SIGKILL");
        this.onHelperGone(helper, `sent an unreadable frame: ${header.slice(0, 200)}`);
      },
    });
    helper.stdin.on("error", () => {});
    helper.stdout.on("data", (chunk: Buffer) => frames.push(chunk));
    helper.stderr.setEncoding("utf8");
    helper.stderr.on("data", (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL);
    });
    helper.once("error", (error) => this.onHelperGone(helper, `could not start: ${error.message}`));
    // "close", not "exit": the frames it wrote before it died are read first.
    helper.once("close", (code, signal) =>
      this.onHelperGone(helper, code === null ? `killed by ${signal}` : `exited with code ${code}`),
    );
    return helper;
  }

  private onFrame(frame: ProcessFrame): void {
    const entry = this.entries.get(frame.id);
    if (entry === undefined) return;
    switch (frame.event) {
      case "started":
        entry.started = true;
        entry.resolvePid(frame.pid);
        break;
      case "failed":
        entry.resolvePid(null);
        entry.stdout.end();
        entry.resolveEnd({ kind: "not-started", reason: frame.error });
        this.entries.delete(frame.id);
        break;
      case "eof":
        entry.reading = false;
        entry.stdout.end();
        this.forgetIfDone(frame.id, entry);
        break;
      case "exited":
        // The spawner relayed what the pipe held before this frame: the task's
        // output ends here, whoever still holds the pipe.
        entry.exited = true;
        entry.stdout.end();
        entry.resolveEnd({ kind: "exited", code: frame.code, signal: frame.signal });
        this.forgetIfDone(frame.id, entry);
    }
  }

  private forgetIfDone(id: number, entry: Entry): void {
    if (entry.exited && !entry.reading) this.entries.delete(id);
  }

  private onHelperGone(helper: SpawnerProcess, why: string): void {
    if (this.helper !== helper) return;
    this.helper = null;
    if (this.closed && this.entries.size === 0) return;
    const stderr = this.stderrTail.trim().split("\n").slice(-3).join(" | ");
    const command = [this.python, ...this.program.args].join(" ");
    const reason = `orch's ${this.program.name} (${command}) ${why}${stderr ? `: ${stderr}` : ""}`;
    for (const entry of this.entries.values()) {
      if (entry.reading) entry.stdout.end();
      entry.resolvePid(null);
      entry.resolveEnd(entry.started ? { kind: "lost", reason } : { kind: "not-started", reason });
    }
    this.entries.clear();
  }
}
