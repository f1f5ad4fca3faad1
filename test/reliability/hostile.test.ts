/**
 * Hostile conditions, through the CLI: another orch taking the run over, a
 * killed orch left as a zombie, a database locked, full, or removed, a task that
 * stops the spawner, a double Ctrl-C, a timer longer than Node's limit, huge
 * lines and params, and strings no process can be given.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import { execa } from "execa";
import { afterEach, describe, expect, it } from "vitest";
import {
  expectNoCrash,
  finish,
  isAlive,
  MAIN,
  nodeOf,
  openReadOnly,
  orchOn,
  ROOT,
  readPids,
  scratchSpace,
  status,
  waitFor,
  workflow,
} from "./helpers.js";

const { scratch, leftovers } = scratchSpace(afterEach);

/** Writes its pid to `started` on attempt 1 and sleeps `seconds`; later attempts finish at once. */
const SLOW_FIRST = (seconds: number) => `import os, time
from orch import task
if task.attempt == 1:
    with open("started.tmp", "w") as f:
        f.write(str(os.getpid()))
    os.replace("started.tmp", "started")
    time.sleep(${seconds})
task.output(attempt=task.attempt)
`;
const LEAF = "from orch import task\ntask.output(ok=True)\n";

/** A workflow `a → b` where a's first attempt announces itself and takes `seconds`. */
const slowChain = (seconds: number) => {
  const sb = scratch();
  const file = sb.write({
    "w/workflow.json": workflow("chain", [
      { id: "a", run: "slow.py" },
      { id: "b", run: "leaf.py", depends_on: ["a"] },
    ]),
    "w/slow.py": SLOW_FIRST(seconds),
    "w/leaf.py": LEAF,
  });
  return { sb, file, startedFile: join(sb.dir, "w/started") };
};

const integrity = (db: string): unknown => {
  const conn = openReadOnly(db);
  try {
    return conn.pragma("integrity_check", { simple: true });
  } finally {
    conn.close();
  }
};

describe("fenced ownership", () => {
  it("an orch stopped with SIGSTOP while another resumes the run writes nothing once woken and exits 5 naming the new owner", async () => {
    const { sb, file, startedFile } = slowChain(3);
    const startedAt = Date.now();
    const first = sb.spawn("start", file, "--run-id", "r1");
    const [taskPid] = await readPids(startedFile);
    leftovers.push(taskPid!);
    // Stopped once its attempt is on record (the task can announce itself first).
    const recorded = () => {
      const conn = openReadOnly(sb.db);
      try {
        return conn.prepare("SELECT 1 FROM attempts WHERE node_id = 'a'").get() !== undefined;
      } finally {
        conn.close();
      }
    };
    expect(await waitFor(recorded, 30_000), "a's attempt is recorded").toBe(true);
    process.kill(first.pid!, "SIGSTOP");
    // The stopped owner's heartbeat goes stale; until then, resume says the run is running.
    let resumed = await sb.orch("resume", "r1");
    while (resumed.exitCode === 0 && /is running already/.test(resumed.stdout)) {
      await sleep(1_000);
      resumed = await sb.orch("resume", "r1");
    }
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    const done = await status(sb, "r1");
    expect(done.run.status).toBe("succeeded");
    const before = openReadOnly(sb.db);
    const lastSeq = before.prepare("SELECT max(seq) AS seq FROM events").get() as { seq: number };
    const attemptsBefore = before.prepare("SELECT * FROM attempts ORDER BY node_id, attempt").all();
    before.close();

    process.kill(first.pid!, "SIGCONT");
    const woken = await finish(first, startedAt);
    expect(woken.exitCode).toBe(5);
    expectNoCrash(woken);
    expect(woken.stderr).toMatch(/run r1 was taken over by another orch process \(pid \d+\)/);

    expect(integrity(sb.db)).toBe("ok");
    const after = openReadOnly(sb.db);
    const lastSeqAfter = after.prepare("SELECT max(seq) AS seq FROM events").get();
    const attemptsAfter = after.prepare("SELECT * FROM attempts ORDER BY node_id, attempt").all();
    after.close();
    expect(lastSeqAfter).toEqual(lastSeq);
    expect(attemptsAfter).toEqual(attemptsBefore);
    const final = await status(sb, "r1");
    expect(final.run.status).toBe("succeeded");
    expect(nodeOf(final, "a").history.map((h) => h.status)).toEqual(["lost", "succeeded"]);
  }, 120_000);

  it("kill -9 of an orch whose parent does not reap it (a zombie): resume takes the run at once", async () => {
    const { sb, file, startedFile } = slowChain(60);
    // A parent that never waits for its child: the killed orch stays a zombie.
    const parent = execa(
      "python3",
      [
        "-c",
        "import subprocess, sys, time\n" +
          "p = subprocess.Popen(sys.argv[1:])\n" +
          "print(p.pid, flush=True)\n" +
          "time.sleep(120)\n",
        "node",
        MAIN,
        "start",
        file,
        "--run-id",
        "r1",
        "--db",
        sb.db,
      ],
      { cwd: ROOT, reject: false, buffer: false, stdout: "pipe" },
    );
    leftovers.push(parent.pid!);
    const orchPid = await new Promise<number>((resolve) => {
      parent.stdout!.once("data", (chunk: Buffer) => resolve(Number(String(chunk).trim())));
    });
    const [taskPid] = await readPids(startedFile);
    leftovers.push(taskPid!);
    process.kill(orchPid, "SIGKILL");
    expect(
      await waitFor(() => !isAlive(orchPid), 5_000),
      "orch is dead (a zombie: its parent has not reaped it)",
    ).toBe(true);
    expect(existsSync(`/proc/${orchPid}`), "the zombie lingers").toBe(true);

    const resumed = await sb.orch("resume", "r1");
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expectNoCrash(resumed);
    const done = await status(sb, "r1");
    expect(done.run.status).toBe("succeeded");
    expect(nodeOf(done, "a").history.map((h) => h.status)).toEqual(["lost", "succeeded"]);
    parent.kill("SIGKILL");
    await parent;
  }, 120_000);
});

describe("storage that fails", () => {
  it("a write lock held by another connection for 12 s: orch waits, says so, and the run succeeds", async () => {
    const { sb, file, startedFile } = slowChain(1);
    const started = Date.now();
    const child = sb.spawn("start", file, "--run-id", "r1");
    await readPids(startedFile);
    const holder = new Database(sb.db);
    holder.exec("BEGIN IMMEDIATE");
    await sleep(12_000);
    holder.exec("COMMIT");
    holder.close();
    const result = await finish(child, started);
    expect(result.exitCode, result.stderr).toBe(0);
    expectNoCrash(result);
    expect(result.stdout).toMatch(
      /waiting for the database .*another process holds its write lock/,
    );
    const done = await status(sb, "r1");
    expect(done.run.status).toBe("succeeded");
    expect(nodeOf(done, "a").history.map((h) => h.status)).toEqual(["succeeded"]);
  }, 120_000);

  it("the database file removed mid-run: exit 5, naming it and saying it cannot be resumed from", async () => {
    const { sb, file, startedFile } = slowChain(3);
    const started = Date.now();
    const child = sb.spawn("start", file, "--run-id", "r1");
    await readPids(startedFile);
    rmSync(sb.db);
    const result = await finish(child, started);
    expect(result.exitCode).toBe(5);
    expectNoCrash(result);
    expect(result.stderr).toContain(sb.db);
    expect(result.stderr).toMatch(/removed while orch was using it/);
    expect(result.stderr).toMatch(/cannot be resumed from/);
    expect(result.stdout).not.toMatch(/run r1 succeeded/);
  }, 60_000);

  it("the disk fills up: exit 5 naming the file and the cause; resume finishes once there is room", async (context) => {
    const sb = scratch();
    const mount = join(sb.dir, "small");
    mkdirSync(mount);
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mount], { stdio: "pipe" });
    } catch (error) {
      console.warn(`SKIPPED disk-full test: cannot mount a small tmpfs here (${error})`);
      context.skip();
    }
    try {
      const db = join(mount, "orch.db");
      const file = sb.write({
        "w/workflow.json": workflow("big", [
          { id: "a", run: "leaf.py" },
          { id: "big", run: "big.py", depends_on: ["a"] },
        ]),
        "w/leaf.py": LEAF,
        // An output of 1.5 MB: more than the room left once the filler is there.
        "w/big.py": 'from orch import task\ntask.output(blob="x" * 1_500_000)\n',
      });
      const first = await orchOn(db, "start", file, "--run-id", "r1", "--max-line", "4000000");
      expect(first.exitCode, `${first.stdout}\n${first.stderr}`).toBe(5);
      expectNoCrash(first);
      expect(first.stderr).toContain(db);
      expect(first.stderr).toMatch(/the disk is full/);
      expect(first.stderr).toMatch(/orch resume/);

      // Room again: resume carries on from what was committed.
      execFileSync("mount", ["-o", "remount,size=16m", mount]);
      const resumed = await orchOn(db, "resume", "r1");
      expect(resumed.exitCode, resumed.stderr).toBe(0);
      const conn = new Database(db, { readonly: true });
      const rows = conn.prepare("SELECT id, status FROM nodes ORDER BY seq").all();
      conn.close();
      expect(rows).toEqual([
        { id: "a", status: "succeeded" },
        { id: "big", status: "succeeded" },
      ]);
    } finally {
      execFileSync("umount", ["-l", mount]);
    }
  }, 240_000);
});

describe("a stopped spawner, signals, timers", () => {
  it("a task that stops the spawner with SIGSTOP still times out, and the run ends", async () => {
    const sb = scratch();
    const file = sb.write({
      "w/workflow.json": workflow("stopper", [{ id: "a", run: "stopper.py", timeout: 5 }]),
      "w/stopper.py":
        "import os, signal, time\nos.kill(os.getppid(), signal.SIGSTOP)\ntime.sleep(300)\n",
    });
    const result = await sb.orch("start", file, "--run-id", "r1");
    expect(result.exitCode).toBe(1);
    expectNoCrash(result);
    const done = await status(sb, "r1");
    expect(done.run.status).toBe("failed");
    expect(nodeOf(done, "a").status).toBe("failed");
    expect(nodeOf(done, "a").reason).toBe("timed out after 5s");
  }, 120_000);

  it("a second SIGINT exits 130 at once; the run is recorded interrupted and resumes", async () => {
    const sb = scratch();
    const file = sb.write({
      "w/workflow.json": workflow("stubborn", [{ id: "a", run: "stubborn.py" }]),
      // Ignores SIGTERM on its first attempt, so a single Ctrl-C would wait out the kill grace.
      "w/stubborn.py": `import os, signal, time
from orch import task
if task.attempt == 1:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    with open("started", "w") as f:
        f.write(str(os.getpid()))
    time.sleep(300)
task.output(attempt=task.attempt)
`,
    });
    const started = Date.now();
    const child = sb.spawn("start", file, "--run-id", "r1", "--kill-grace", "600");
    const [taskPid] = await readPids(join(sb.dir, "w/started"));
    leftovers.push(taskPid!);
    child.kill("SIGINT");
    await sleep(300);
    child.kill("SIGINT");
    const result = await finish(child, started);
    expect(result.exitCode).toBe(130);
    expectNoCrash(result);
    expect(result.stdout).toContain("resume it with: orch resume r1");
    expect(await waitFor(() => !isAlive(taskPid!), 10_000), "the task is gone").toBe(true);
    expect((await status(sb, "r1")).run.status).toBe("interrupted");

    const resumed = await sb.orch("resume", "r1");
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    const done = await status(sb, "r1");
    expect(nodeOf(done, "a").history.map((h) => h.status)).toEqual(["lost", "succeeded"]);
  }, 120_000);

  it('"timeout": 2200000 (beyond Node\'s 24.8-day timer limit) does not kill the task early', async () => {
    const sb = scratch();
    const file = sb.write({
      "w/workflow.json": workflow("long", [{ id: "a", run: "nap.py", timeout: 2_200_000 }]),
      "w/nap.py": "import time\nfrom orch import task\ntime.sleep(1)\ntask.output(ok=True)\n",
    });
    const result = await sb.orch("start", file, "--run-id", "r1", "--kill-grace", "2200000");
    expect(result.exitCode, result.stdout).toBe(0);
    expect(result.stderr).not.toMatch(/TimeoutOverflowWarning/);
    expect(nodeOf(await status(sb, "r1"), "a").outputs).toEqual({ ok: true });
  }, 60_000);
});

describe("huge lines and params", () => {
  const MB20 = 20 * 1024 * 1024;

  it("a 20 MB stdout line completes with --max-line raised", async () => {
    const sb = scratch();
    const file = sb.write({
      "w/workflow.json": workflow("line", [{ id: "a", run: "line.py" }]),
      "w/line.py": `import json, sys\nsys.stdout.write(json.dumps({"type": "output", "values": {"blob": "y" * ${MB20}}}) + "\\n")\n`,
    });
    const result = await sb.orch(
      "start",
      file,
      "--run-id",
      "r1",
      "--max-line",
      String(MB20 + 1000),
      "--max-output",
      String(MB20 + 1000),
    );
    expect(result.exitCode, result.stdout).toBe(0);
    const conn = openReadOnly(sb.db);
    const row = conn.prepare("SELECT length(outputs) AS n FROM nodes WHERE id = 'a'").get();
    conn.close();
    expect(row).toEqual({ n: MB20 + '{"blob":""}'.length });
  }, 240_000);

  it("a node whose params hold 20 MB is spawned and reads them whole", async () => {
    const sb = scratch();
    const file = sb.write({
      "w/workflow.json": workflow("params", [
        { id: "a", run: "params.py", params: { blob: "z".repeat(MB20) } },
      ]),
      "w/params.py": "from orch import task\ntask.output(n=len(task.params['blob']))\n",
    });
    const result = await sb.orch("start", file, "--run-id", "r1");
    expect(result.exitCode, result.stdout).toBe(0);
    expect(nodeOf(await status(sb, "r1"), "a").outputs).toEqual({ n: MB20 });
  }, 240_000);
});

describe("strings no process can be given", () => {
  it.each([
    ["a NUL", "a\\u0000b", /NUL/],
    ["a lone surrogate", "a\\ud800b", /lone UTF-16 surrogate/],
  ])("%s in a workflow's args is refused by validation, naming its path", async (_, raw, why) => {
    const sb = scratch();
    const file = sb.write({
      "w/workflow.json": `{"name": "w", "nodes": [{"id": "a", "run": "leaf.py", "args": ["${raw}"]}]}`,
      "w/leaf.py": LEAF,
    });
    const result = await sb.orch("validate", file);
    expect(result.exitCode).toBe(2);
    expectNoCrash(result);
    expect(result.stderr).toMatch(/nodes\[0\]\.args\[0\]|nodes\.0\.args\.0/);
    expect(result.stderr).toMatch(why);
  });

  it("an add_node with a NUL in its args is a structural error naming the stdout line", async () => {
    const sb = scratch();
    const file = sb.write({
      "w/workflow.json": workflow("adder", [{ id: "a", run: "adder.py" }]),
      "w/adder.py": `import sys
print('{"type": "log", "message": "first"}')
print('{"type": "add_node", "id": "x", "run": "leaf.py", "args": ["a\\\\u0000b"]}')
`,
      "w/leaf.py": LEAF,
    });
    const result = await sb.orch("start", file, "--run-id", "r1");
    expect(result.exitCode).not.toBe(0);
    expectNoCrash(result);
    const done = await status(sb, "r1");
    expect(done.nodes.map((n) => n.id)).toEqual(["a"]);
    const a = nodeOf(done, "a");
    expect(a.status).toBe("failed");
    expect(a.reason).toMatch(/stdout line 2/);
    expect(a.reason).toMatch(/NUL/);
  }, 60_000);
});

describe("processes that escape the task", () => {
  it("protocol lines a double-forked daemon writes after the task exited are not committed", async () => {
    const sb = scratch();
    const file = sb.write({
      "w/workflow.json": workflow("daemon", [{ id: "a", run: "daemon.py" }]),
      "w/leaf.py": LEAF,
      "w/daemon.py": `import os, sys, time
from orch import task
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        with open("daemon.pid", "w") as f:
            f.write(str(os.getpid()))
        time.sleep(0.5)
        sys.stdout.write('{"type": "add_node", "id": "forged", "run": "leaf.py"}\\n')
        sys.stdout.write('{"type": "output", "values": {"by": "daemon"}}\\n')
        sys.stdout.flush()
        time.sleep(30)
    os._exit(0)
task.output(by="task")
`,
    });
    const result = await sb.orch("start", file, "--run-id", "r1");
    const [daemon] = await readPids(join(sb.dir, "w/daemon.pid"));
    leftovers.push(daemon!);
    expect(result.exitCode, result.stdout).toBe(0);
    const done = await status(sb, "r1");
    expect(done.nodes.map((n) => n.id)).toEqual(["a"]);
    expect(nodeOf(done, "a").outputs).toEqual({ by: "task" });
  }, 60_000);

  it("a child that leaves the task's process group but not its session is killed at the task's end", async () => {
    const sb = scratch();
    const file = sb.write({
      "w/workflow.json": workflow("pgid", [{ id: "a", run: "pgid.py" }]),
      "w/pgid.py": `import os, subprocess, sys
from orch import task
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], process_group=0) if sys.version_info >= (3, 11) else subprocess.Popen([sys.executable, "-c", "import os, time; os.setpgid(0, 0); time.sleep(60)"])
with open("child.pid", "w") as f:
    f.write(str(child.pid))
task.output(ok=True)
`,
    });
    const result = await sb.orch("start", file, "--run-id", "r1");
    const [child] = await readPids(join(sb.dir, "w/child.pid"));
    leftovers.push(child!);
    expect(result.exitCode, result.stdout).toBe(0);
    expect(await waitFor(() => !isAlive(child!), 10_000), "the child is gone").toBe(true);
  }, 60_000);
});

describe("a read-only database", () => {
  /** As a user other than root (root writes a 0444 file anyway): `nobody` when run as root. */
  const asUser = (db: string, ...args: string[]) =>
    process.getuid?.() === 0
      ? execa("runuser", ["-u", "nobody", "--", "node", MAIN, ...args, "--db", db], {
          cwd: ROOT,
          reject: false,
        })
      : execa("node", [MAIN, ...args, "--db", db], { cwd: ROOT, reject: false });

  it("orch status leaves no read-only trap behind, and a write to it names the file and what to do", async () => {
    const sb = scratch();
    const file = sb.write({
      "w/workflow.json": workflow("ro", [{ id: "a", run: "leaf.py" }]),
      "w/leaf.py": LEAF,
    });
    if (process.getuid?.() === 0) execFileSync("chown", ["-R", "nobody", sb.dir]);
    const first = await asUser(sb.db, "start", file, "--run-id", "r1");
    expect(String(first.stdout)).toContain("run r1 started");
    chmodSync(sb.db, 0o444);
    const looked = await asUser(sb.db, "status", "r1");
    expect(looked.exitCode, String(looked.stderr)).toBe(0);

    const refused = await asUser(sb.db, "start", file, "--run-id", "r2");
    expect(refused.exitCode).toBe(5);
    expect(String(refused.stderr)).toContain(sb.db);
    expect(String(refused.stderr)).toMatch(/read-only.*chmod u\+w/);

    chmodSync(sb.db, 0o644);
    const again = await asUser(sb.db, "start", file, "--run-id", "r3");
    expect(String(again.stderr)).not.toMatch(/readonly|read-only/);
    expect(String(again.stdout)).toContain("run r3 started");
  }, 120_000);
});
