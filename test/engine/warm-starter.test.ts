import { existsSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { resolvePython } from "../../src/engine/python.js";
import { type SpawnedProcess, Spawner, warmStarter } from "../../src/engine/spawner.js";
import { SDK_DIR } from "../../src/package-root.js";
import { isAlive, waitFor } from "../reliability/helpers.js";

const python = resolvePython(undefined);
const spawners: Spawner[] = [];
afterEach(() => {
  for (const spawner of spawners.splice(0)) spawner.close();
});

const env = { PATH: process.env.PATH, PYTHONPATH: SDK_DIR };

/** A warm starter in a fresh folder holding `files`, preloading `preload`. */
const setup = (files: Record<string, string>, preload: string[] = []) => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "orch-warm-")));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const spawner = new Spawner(python, warmStarter(preload, dir, env));
  spawners.push(spawner);
  const run = (script: string, stdin = "", extraEnv: Record<string, string> = {}): SpawnedProcess =>
    spawner.spawn({
      argv: [python, join(dir, script)],
      cwd: dir,
      env: { ...env, ...extraEnv },
      stdin,
      stderrPath: join(dir, `${script}.log`),
    });
  return { dir, run };
};

const finish = async (child: SpawnedProcess) => {
  const chunks: Buffer[] = [];
  for await (const chunk of child.stdout) chunks.push(chunk as Buffer);
  return { stdout: Buffer.concat(chunks).toString("utf8"), end: await child.end };
};

/** Fields of /proc/PID/stat after the command name: [state, ppid, pgrp, session]. */
const stat = (pid: number): [string, number, number, number] => {
  const text = readFileSync(`/proc/${pid}/stat`, "utf8");
  const [state, ppid, pgrp, session] = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return [state!, Number(ppid), Number(pgrp), Number(session)];
};

describe("the warm starter", () => {
  it("runs each task as a process of its own, in its own session, with its stdio, cwd and env", async () => {
    const { dir, run } = setup({
      "t.py": [
        "import os, sys",
        "print('to the log')",
        "sys.stdout.flush()",
        "line = sys.stdin.readline()",
        "import json",
        "from orch import _channel",
        "_channel.send({'type': 'output', 'values': {'pid': os.getpid(), 'cwd': os.getcwd(),",
        "  'sid': os.getsid(0), 'var': os.environ.get('ONLY_HERE'), 'argv0': sys.argv[0],",
        "  'stdin': line.strip(), 'name': __name__}})",
      ].join("\n"),
    });
    const first = await finish(run("t.py", "hello\n", { ONLY_HERE: "one" }));
    const second = await finish(run("t.py", "again\n"));
    expect(first.end).toEqual({ kind: "exited", code: 0, signal: null });
    const a = JSON.parse(first.stdout).values;
    const b = JSON.parse(second.stdout).values;
    expect(a.pid).not.toBe(b.pid);
    expect(a.sid).toBe(a.pid);
    expect(a).toMatchObject({ cwd: dir, var: "one", stdin: "hello", name: "__main__" });
    expect(a.argv0).toBe(join(dir, "t.py"));
    expect(b).toMatchObject({ var: null, stdin: "again" });
    expect(readFileSync(join(dir, "t.py.log"), "utf8")).toContain("to the log");
  });

  it("imports a preloaded module once, and a task's change to it is not seen by the next", async () => {
    const { dir, run } = setup(
      {
        "heavy.py":
          "import os\nopen('imports.txt', 'a').write(f'{os.getpid()}\\n')\nvalue = 'pristine'\n",
        "t.py": [
          "import heavy, sys",
          "print(heavy.value, file=sys.stderr)",
          "heavy.value = 'changed'",
          "import json; json.loads = None",
        ].join("\n"),
      },
      ["heavy", "json"],
    );
    for (let i = 0; i < 3; i++) expect((await finish(run("t.py"))).end.kind).toBe("exited");
    expect(readFileSync(join(dir, "imports.txt"), "utf8").trim().split("\n")).toHaveLength(1);
    const log = readFileSync(join(dir, "t.py.log"), "utf8");
    expect(log.match(/pristine/g)).toHaveLength(3);
    expect(log).not.toContain("changed");
  });

  it("gives the exit code and signal a cold interpreter would, and carries on after a crash", async () => {
    const { dir, run } = setup({
      "exit3.py": "import sys\nsys.exit(3)\n",
      "raises.py": "raise ValueError('boom')\n",
      "abort.py": "import os\nos.abort()\n",
      "message.py": "import sys\nsys.exit('bad input')\n",
      "ok.py": "pass\n",
    });
    expect((await finish(run("exit3.py"))).end).toEqual({ kind: "exited", code: 3, signal: null });
    expect((await finish(run("raises.py"))).end).toEqual({ kind: "exited", code: 1, signal: null });
    expect(readFileSync(join(dir, "raises.py.log"), "utf8")).toMatch(/ValueError: boom/);
    expect((await finish(run("abort.py"))).end).toEqual({
      kind: "exited",
      code: null,
      signal: "SIGABRT",
    });
    expect((await finish(run("message.py"))).end).toEqual({
      kind: "exited",
      code: 1,
      signal: null,
    });
    expect(readFileSync(join(dir, "message.py.log"), "utf8")).toContain("bad input");
    expect((await finish(run("ok.py"))).end).toEqual({ kind: "exited", code: 0, signal: null });
  });

  it("lets a task's threads finish, and leaks none of them into the next task", async () => {
    const { run } = setup({
      "threads.py": [
        "import threading, time, os",
        "def work():",
        "    time.sleep(0.2)",
        "    os.write(2, b'thread done\\n')",
        "threading.Thread(target=work).start()",
      ].join("\n"),
      "count.py":
        "import threading, sys\nprint(threading.active_count(), file=sys.stderr)\nsys.exit(threading.active_count())\n",
    });
    expect((await finish(run("threads.py"))).end).toEqual({
      kind: "exited",
      code: 0,
      signal: null,
    });
    expect((await finish(run("count.py"))).end).toEqual({ kind: "exited", code: 1, signal: null });
  });

  it("puts a task and its children in one group that a group kill ends", async () => {
    const { dir, run } = setup({
      "tree.py": [
        "import subprocess, os, time",
        "child = subprocess.Popen(['sleep', '300'])",
        "open('child.pid', 'w').write(str(child.pid))",
        "time.sleep(300)",
      ].join("\n"),
    });
    const task = run("tree.py");
    const pid = (await task.pid)!;
    const pidFile = join(dir, "child.pid");
    expect(
      await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, "utf8") !== "", 10_000),
    ).toBe(true);
    const child = Number(readFileSync(join(dir, "child.pid"), "utf8"));
    expect(stat(child)[2]).toBe(pid);
    process.kill(-pid, "SIGKILL");
    expect((await finish(task)).end).toEqual({ kind: "exited", code: null, signal: "SIGKILL" });
    expect(await waitFor(() => !isAlive(child) || stat(child)[0] === "Z", 10_000)).toBe(true);
  });

  it("starts tasks cold, saying why, when a preloaded module left a thread running", async () => {
    const { dir, run } = setup(
      {
        "spins.py":
          "import threading, time\nthreading.Thread(target=time.sleep, args=(300,), daemon=True).start()\n",
        "t.py":
          "import sys\nprint(open('/proc/self/cmdline').read().replace('\\0', ' '), file=sys.stderr)\n",
      },
      ["spins"],
    );
    expect((await finish(run("t.py"))).end).toEqual({ kind: "exited", code: 0, signal: null });
    // A cold start runs the script itself; a fork would still be the starter's command line.
    const log = readFileSync(join(dir, "t.py.log"), "utf8");
    expect(log).not.toContain("warm_starter.py");
    expect(log).toMatch(/left 1 thread\(s\) running.*this task started cold/);
  });
});
