import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isAlive, waitFor } from "../reliability/helpers.js";
import { nodeStatus, pyTask, sandbox, status } from "./helpers.js";

/** A chain of `n` nodes running `script`, as workflow JSON with the given top-level extras. */
const chain = (n: number, script: string, extra: Record<string, unknown>) =>
  JSON.stringify({
    name: "warm-chain",
    nodes: Array.from({ length: n }, (_, i) => ({
      id: `t${i}`,
      run: script,
      ...(i > 0 ? { depends_on: [`t${i - 1}`] } : {}),
    })),
    ...extra,
  });

describe("warm tasks through the CLI", () => {
  it("run as processes of their own, the preload imported once, nothing leaking between tasks", async () => {
    const { dir, orch, write } = sandbox();
    const wf = write({
      "wf.json": chain(4, "t.py", {
        defaults: { warm: true },
        preload: ["json", "decimal", "heavy"],
      }),
      "heavy.py": "import os\nopen('imports.txt', 'a').write(f'{os.getpid()}\\n')\nstate = []\n",
      "t.py": pyTask(
        [
          "import os, heavy",
          "os.environ.setdefault('SEEN', '')",
          "task.output(pid=os.getpid(), ppid=os.getppid(), before=list(heavy.state), env=os.environ.get('LEAK'))",
          "heavy.state.append(task.node_id)",
          "os.environ['LEAK'] = task.node_id",
        ].join("\n"),
      ),
    });
    const result = await orch("start", wf);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    const doc = await status(orch);
    const outputs = doc.nodes.map((n) => n.outputs as { pid: number; before: string[]; env: null });
    expect(new Set(outputs.map((o) => o.pid)).size).toBe(4);
    for (const o of outputs) expect(o).toMatchObject({ before: [], env: null });
    const imports = readFileSync(join(dir, "imports.txt"), "utf8").trim().split("\n");
    expect(imports).toHaveLength(1);
    // Each task is a child of the one interpreter that imported the preload.
    expect(new Set(outputs.map((o) => (o as unknown as { ppid: number }).ppid))).toEqual(
      new Set([Number(imports[0])]),
    );
  });

  it("mix with cold tasks in one run", async () => {
    const { orch, write } = sandbox();
    const wf = write({
      "wf.json": JSON.stringify({
        name: "mixed",
        nodes: [
          { id: "cold", run: "t.py" },
          { id: "warm", run: "t.py", warm: true, depends_on: ["cold"] },
        ],
      }),
      "t.py": pyTask(
        "import sys\ntask.output(cmdline=open('/proc/self/cmdline').read().split('\\0')[1])",
      ),
    });
    expect((await orch("start", wf)).exitCode).toBe(0);
    const doc = await status(orch);
    const cmdline = Object.fromEntries(
      doc.nodes.map((n) => [n.id, (n.outputs as { cmdline: string }).cmdline]),
    );
    expect(cmdline.cold).toMatch(/t\.py$/);
    expect(cmdline.warm).toMatch(/warm_starter\.py$/);
  });

  it("fail, saying which module, when a preload cannot be imported; cold tasks still run", async () => {
    const { orch, write } = sandbox();
    const wf = write({
      "wf.json": JSON.stringify({
        name: "bad-preload",
        preload: ["no_such_module_here"],
        nodes: [
          { id: "warm", run: "t.py", warm: true },
          { id: "cold", run: "t.py" },
        ],
      }),
      "t.py": pyTask("task.output(ok=True)"),
    });
    expect((await orch("start", wf)).exitCode).toBe(1);
    const doc = await status(orch);
    expect(nodeStatus(doc)).toEqual({ warm: "failed", cold: "succeeded" });
    expect(doc.nodes[0]!.reason).toMatch(
      /cannot preload module 'no_such_module_here': ModuleNotFoundError/,
    );
  });

  it("time out with their whole process group", async () => {
    const { dir, orch, write } = sandbox();
    const wf = write({
      "wf.json": JSON.stringify({
        name: "warm-timeout",
        // Long enough for the task to start its child on a busy machine.
        nodes: [{ id: "slow", run: "slow.py", warm: true, timeout: 8 }],
      }),
      "slow.py": pyTask(
        [
          "import subprocess, time",
          "child = subprocess.Popen(['sleep', '300'])",
          "open('child.pid', 'w').write(str(child.pid))",
          "time.sleep(300)",
        ].join("\n"),
      ),
    });
    const result = await orch("start", wf, "--kill-grace", "1");
    expect(result.exitCode).toBe(1);
    const doc = await status(orch);
    expect(nodeStatus(doc)).toEqual({ slow: "failed" });
    expect(doc.nodes[0]!.reason).toMatch(/timed out after 8s/);
    const child = Number(readFileSync(join(dir, "child.pid"), "utf8"));
    expect(await waitFor(() => !isAlive(child), 10_000)).toBe(true);
  });

  it("leave nothing behind when orch is killed", async () => {
    const { dir, spawnOrch, write } = sandbox();
    const wf = write({
      "wf.json": JSON.stringify({
        name: "warm-kill",
        nodes: [{ id: "forever", run: "forever.py", warm: true }],
      }),
      "forever.py": pyTask(
        "import os, time\nopen('task.pid', 'w').write(str(os.getpid()))\ntime.sleep(300)",
      ),
    });
    const orchProcess = spawnOrch("start", wf);
    const pidFile = join(dir, "task.pid");
    expect(
      await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, "utf8") !== "", 30_000),
    ).toBe(true);
    const task = Number(readFileSync(pidFile, "utf8"));
    expect(isAlive(task)).toBe(true);
    orchProcess.kill("SIGKILL");
    await orchProcess;
    expect(await waitFor(() => !isAlive(task), 10_000)).toBe(true);
  });
});
