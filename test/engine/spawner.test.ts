import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { resolvePython } from "../../src/engine/python.js";
import { type SpawnedProcess, Spawner, type SpawnRequest } from "../../src/engine/spawner.js";
import { isAlive, waitFor } from "../reliability/helpers.js";

const python = resolvePython(undefined);
const spawners: Spawner[] = [];
afterEach(() => {
  for (const spawner of spawners.splice(0)) spawner.close();
});

const setup = () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "orch-spawner-")));
  const spawner = new Spawner(python);
  spawners.push(spawner);
  const run = (code: string, more: Partial<SpawnRequest> = {}): SpawnedProcess =>
    spawner.spawn({
      argv: [python, "-c", code],
      cwd: dir,
      env: { PATH: process.env.PATH },
      stdin: "",
      stderrPath: join(dir, "stderr.log"),
      ...more,
    });
  return { dir, spawner, run };
};

/** Its stdout as bytes, and how it ended. */
const finish = async (child: SpawnedProcess) => {
  const chunks: Buffer[] = [];
  for await (const chunk of child.stdout) chunks.push(chunk as Buffer);
  return { stdout: Buffer.concat(chunks), end: await child.end };
};

/** The spawner processes this test process started. */
const spawnerPids = (): number[] =>
  readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        return (
          ppid === process.pid &&
          readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("spawner.py")
        );
      } catch {
        return false;
      }
    })
    .map(Number);

/** Process group and session of a live process (fields 5 and 6 of /proc/PID/stat). */
const groupAndSession = (pid: number): [number, number] => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return [Number(fields[2]), Number(fields[3])];
};

describe("the spawner", () => {
  it("relays a process's stdout byte for byte, feeds it stdin, and reports its exit", async () => {
    const { dir, run } = setup();
    const stdin = "x".repeat(300_000);
    const child = run(
      [
        "import hashlib, os, sys",
        "data = sys.stdin.buffer.read()",
        "out = sys.stdout.buffer",
        "out.write(bytes(range(256)) * 4096)",
        "out.write(b'\\n' + hashlib.sha256(data).hexdigest().encode() + b'\\n')",
        "out.write((os.getcwd() + ' ' + os.environ['ORCH_TEST'] + '\\n').encode())",
        "sys.stderr.write('to the log\\n')",
        "sys.exit(3)",
      ].join("\n"),
      { stdin, env: { PATH: process.env.PATH, ORCH_TEST: "passed through" } },
    );
    const pid = await child.pid;
    expect(pid).toBeGreaterThan(0);
    const { stdout, end } = await finish(child);
    const binary = Buffer.alloc(256 * 4096, 0).map((_, i) => i % 256);
    expect(stdout.subarray(0, binary.length).equals(binary)).toBe(true);
    const lines = stdout.subarray(binary.length).toString().split("\n");
    expect(lines[1]).toBe(createHash("sha256").update(stdin).digest("hex"));
    expect(lines[2]).toBe(`${dir} passed through`);
    expect(end).toEqual({ kind: "exited", code: 3, signal: null });
    expect(readFileSync(join(dir, "stderr.log"), "utf8")).toBe("to the log\n");
  });

  it("starts each process as the leader of its own session and process group, with default signals", async () => {
    const { run } = setup();
    // Not Python, which ignores SIGPIPE and SIGXFSZ itself as it starts.
    const child = run("", {
      argv: ["/bin/sh", "-c", "grep -E '^Sig(Ign|Blk)' /proc/self/status; exec sleep 30"],
    });
    const pid = (await child.pid)!;
    const firstLines = await new Promise<string>((resolve) =>
      child.stdout.once("data", (chunk: Buffer) => resolve(chunk.toString())),
    );
    // Signals 1–31 (bits 0–30): 32 and 33 are glibc's own, reserved for its threads.
    const masks = [...firstLines.matchAll(/^Sig(Blk|Ign):\s*([0-9a-f]+)$/gm)].map(
      (m) => `${m[1]} ${BigInt(`0x${m[2]}`) & 0x7fff_ffffn}`,
    );
    expect(masks).toEqual(["Blk 0", "Ign 0"]);
    expect(groupAndSession(pid)).toEqual([pid, pid]);
    process.kill(-pid, "SIGTERM");
    expect(await child.end).toEqual({ kind: "exited", code: null, signal: "SIGTERM" });
  });

  it("keeps serving others while a process does not read a large stdin", async () => {
    const { run } = setup();
    const stuck = run("import time; time.sleep(30)", { stdin: "y".repeat(1_000_000) });
    const quick = await finish(run("print('quick')"));
    expect(quick.stdout.toString()).toBe("quick\n");
    expect(quick.end).toEqual({ kind: "exited", code: 0, signal: null });
    process.kill(-(await stuck.pid)!, "SIGKILL");
    expect(await stuck.end).toEqual({ kind: "exited", code: null, signal: "SIGKILL" });
  });

  it("says why a program could not start", async () => {
    const { run } = setup();
    const child = run("", { argv: ["/no/such/program"] });
    expect(await child.pid).toBeNull();
    const { stdout, end } = await finish(child);
    expect(stdout.length).toBe(0);
    expect(end).toEqual({ kind: "not-started", reason: "spawn /no/such/program ENOENT" });
  });

  it("ends stdout at the exit, though a leftover process holds it open, and reports what that process writes later", async () => {
    const { run } = setup();
    // The grandchild escapes into a session of its own, keeping stdout open, and writes later.
    const child = run(
      "import subprocess, sys; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(1); print(\"late\", flush=True); time.sleep(30)'], start_new_session=True); print('parent done')",
    );
    const { stdout, end } = await finish(child);
    expect(end).toEqual({ kind: "exited", code: 0, signal: null });
    expect(stdout.toString()).toBe("parent done\n");
    await child.lateOutput;
  });

  it("reports the processes in flight as lost when it dies, and starts afresh for the next", async () => {
    const { run } = setup();
    const child = run("import time; time.sleep(30)");
    const pid = (await child.pid)!;
    const [helper] = spawnerPids();
    expect(helper).toBeDefined();
    process.kill(helper!, "SIGKILL");
    const end = await child.end;
    expect(end.kind).toBe("lost");
    expect(end.kind === "lost" && end.reason).toMatch(/orch's task spawner .* killed by SIGKILL/);
    process.kill(-pid, "SIGKILL");
    const next = await finish(run("print('again')"));
    expect(next.stdout.toString()).toBe("again\n");
    expect(next.end).toEqual({ kind: "exited", code: 0, signal: null });
  });

  it("kills what is still running once it is closed, and exits", async () => {
    const { spawner, run } = setup();
    const child = run("import time; time.sleep(30)");
    const pid = (await child.pid)!;
    const helpers = spawnerPids();
    spawner.close();
    expect(await waitFor(() => !isAlive(pid), 5_000), "the task was killed").toBe(true);
    expect(await waitFor(() => !helpers.some(isAlive), 5_000), "the spawner exited").toBe(true);
  });

  it("writes a task's stderr into a log file of mode 0600, appending", async () => {
    const { dir, run } = setup();
    const log = join(dir, "attempt.log");
    writeFileSync(log, "before\n");
    await finish(run("import sys; sys.stderr.write('after\\n')", { stderrPath: log }));
    expect(readFileSync(log, "utf8")).toBe("before\nafter\n");
    const fresh = join(dir, "fresh.log");
    await finish(run("import sys; sys.stderr.write('x')", { stderrPath: fresh }));
    const { statSync } = await import("node:fs");
    expect(statSync(fresh).mode & 0o777).toBe(0o600);
  });
});

describe("the spawner's event loop", () => {
  it("ignores a pipe event that an earlier callback of the same select() made stale", async () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), "orch-spawner-")));
    // One select() can report a task's exit and its stdout together; handling the exit
    // drains and closes the stdout pipe, so the stdout event that follows finds it closed.
    const script = `
import os, sys, time
sys.path.insert(0, ${JSON.stringify(join(import.meta.dirname, "../../src/engine"))})
from spawner import Spawner
spawner = Spawner(os.open(os.devnull, os.O_WRONLY))
spawner.spawn({"op": "spawn", "id": 1, "argv": [sys.executable, "-c", "print('x')"],
               "cwd": ${JSON.stringify(dir)}, "env": {}, "stdin": "",
               "stderr": ${JSON.stringify(join(dir, "stderr.log"))}})
task = spawner.tasks[1]
while spawner.by_pid:
    spawner.reap(spawner.wake_read)
    time.sleep(0.01)
assert task.stdout_fd is None and task.stdin_fd is None, "the exit closed both pipes"
spawner.relay(task)
spawner.feed_stdin(task, 5)
print("stale events ignored")
`;
    const { execa } = await import("execa");
    const result = await execa(python, ["-c", script], { reject: false, stdin: "pipe" });
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe("stale events ignored");
  });
});
