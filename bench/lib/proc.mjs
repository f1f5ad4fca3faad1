// Process-level timing and peak memory for the benchmark runner.
//
// A measured command runs under `/usr/bin/time -f %M` when GNU time is there
// (its peak resident set, in KiB, lands in a file); otherwise its
// /proc/<pid>/status VmHWM is polled while it runs; otherwise memory is "n/a".
// GNU time also gives the CPU time (user + system) of the process and the
// children it reaped, which other load on the machine disturbs much less than
// wall time. Wall time is taken around the spawn, in this process, so both
// sides of a comparison pay the same (tiny) wrapper cost.

import { execFileSync, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";

const GNU_TIME = "/usr/bin/time";

/** How peak memory is measured here: "time" (GNU time), "proc" (VmHWM polling) or "none". */
export const detectMemoryMode = () => {
  const forced = process.env.BENCH_MEMORY;
  if (forced === "time" || forced === "proc" || forced === "none") return forced;
  if (existsSync(GNU_TIME)) {
    try {
      execFileSync(GNU_TIME, ["-f", "%M", "true"], { stdio: "pipe" });
      return "time";
    } catch {
      // Not GNU time (busybox, BSD): fall through.
    }
  }
  return existsSync("/proc/self/status") ? "proc" : "none";
};

const readHwmKb = (pid) => {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
};

/** The measured process itself: the child of /usr/bin/time when wrapped. */
const childOf = (pid) => {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
    const first = text.split(/\s+/)[0];
    return first ? Number(first) : null;
  } catch {
    return null;
  }
};

let counter = 0;

/**
 * Run `cmd args` and measure it.
 *
 * options: cwd, env, memoryMode ("time" | "proc" | "none"), stdinFile (a file
 * fed to stdin), stdout ("pipe" to read lines, else discarded), stdoutFile
 * (append stdout there instead), stderrFile (append stderr there; else the
 * last 4 KB are kept), timeoutMs, and
 * onLine(line, elapsedMs, handle) for each stdout line, where handle.kill(signal)
 * signals the measured process and handle.mark(name) records the elapsed time (true the first time), and
 * handle.hwmKb() reads its peak RSS so far.
 *
 * Resolves to { ms, cpuMs, code, signal, peakKb, marks, stderr, timedOut }: wall
 * time, and (under GNU time only) the user + system CPU time of the process and
 * every child it waited for — the task processes included.
 */
export const measure = (cmd, args, options = {}) =>
  new Promise((resolve, reject) => {
    const mode = options.memoryMode ?? "none";
    const memFile = join(tmpdir(), `orch-bench-mem-${process.pid}-${counter++}`);
    const argv =
      mode === "time" ? [GNU_TIME, "-f", "%M %U %S", "-o", memFile, cmd, ...args] : [cmd, ...args];
    const stdinFd = options.stdinFile ? openSync(options.stdinFile, "r") : "ignore";
    const stderrFd = options.stderrFile ? openSync(options.stderrFile, "a") : "pipe";
    const wantLines = options.stdout === "pipe" || options.onLine !== undefined;
    const stdoutFd = options.stdoutFile ? openSync(options.stdoutFile, "a") : null;
    const marks = {};
    let stderr = "";
    let timedOut = false;
    let polledKb = null;

    const t0 = performance.now();
    const child = spawn(argv[0], argv.slice(1), {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [stdinFd, stdoutFd ?? (wantLines ? "pipe" : "ignore"), stderrFd],
    });
    if (typeof stdinFd === "number") closeSync(stdinFd);
    if (stdoutFd !== null) closeSync(stdoutFd);
    if (typeof stderrFd === "number") closeSync(stderrFd);

    let target = mode === "time" ? null : child.pid;
    const targetPid = () => {
      if (target === null) target = childOf(child.pid);
      return target;
    };
    const poll = () => {
      const pid = targetPid();
      if (pid === null || pid === undefined) return;
      const kb = readHwmKb(pid);
      if (kb !== null) polledKb = Math.max(polledKb ?? 0, kb);
    };
    const poller = mode === "proc" ? setInterval(poll, 25) : null;
    const handle = {
      kill: (signal = "SIGTERM") => {
        if (mode === "proc") poll();
        for (let i = 0; i < 200 && targetPid() === null; i++) {
          // /usr/bin/time has not forked yet: wait a moment (rare).
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        }
        const pid = targetPid();
        try {
          process.kill(pid ?? child.pid, signal);
        } catch {
          // Already gone.
        }
      },
      /** The measured process's peak RSS so far (VmHWM, KiB), or null without /proc. */
      hwmKb: () => {
        const pid = targetPid();
        return pid === null || pid === undefined ? null : readHwmKb(pid);
      },
      /** Record the elapsed time under `name`; true the first time only. */
      mark: (name) => {
        if (name in marks) return false;
        marks[name] = performance.now() - t0;
        return true;
      },
    };

    if (child.stderr) {
      child.stderr.setEncoding("utf8");
      child.stderr.on("data", (chunk) => {
        stderr = (stderr + chunk).slice(-4096);
      });
    }
    if (child.stdout) {
      const lines = createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY });
      lines.on("line", (line) => options.onLine?.(line, performance.now() - t0, handle));
    }
    const timer =
      options.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            handle.kill("SIGKILL");
          }, options.timeoutMs)
        : null;

    let ms = null;
    let exit = null;
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      ms = performance.now() - t0;
      exit = { code, signal };
    });
    child.on("close", () => {
      if (poller) clearInterval(poller);
      if (timer) clearTimeout(timer);
      let peakKb = mode === "proc" ? polledKb : null;
      let cpuMs = null;
      if (mode === "time") {
        try {
          // GNU time writes "Command exited with non-zero status N" first when N != 0.
          const last = readFileSync(memFile, "utf8")
            .trim()
            .split("\n")
            .filter((l) => /^\d+ [\d.]+ [\d.]+$/.test(l))
            .pop();
          if (last) {
            const [kb, user, sys] = last.split(" ").map(Number);
            peakKb = kb;
            cpuMs = (user + sys) * 1000;
          }
        } catch {
          peakKb = null;
        }
        rmSync(memFile, { force: true });
      }
      // Under /usr/bin/time, a child that died of a signal shows as exit 128+N.
      resolve({
        ms,
        cpuMs,
        code: exit?.code ?? null,
        signal: exit?.signal ?? null,
        peakKb,
        marks,
        stderr,
        timedOut,
      });
    });
  });
