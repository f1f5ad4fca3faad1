import { join } from "node:path";
import { execa } from "execa";
import { afterAll, afterEach, beforeEach, expect, it } from "vitest";
import { resolvePython } from "../../src/engine/python.js";
import { Spawner } from "../../src/engine/spawner.js";
import { attemptName } from "../../src/executors/attempt-name.js";
import { SlurmExecutor } from "../../src/executors/slurm.js";
import { SDK_DIR } from "../../src/package-root.js";
import { SlurmSpecSchema } from "../../src/workflow/executor-spec.js";
import {
  describeWithEngine,
  eventually,
  lines,
  outputOf,
  ROOT,
  readLog,
  removeScratch,
  scratchWorkflow,
  startProbe,
} from "./harness.js";

const spawner = new Spawner(resolvePython(undefined));
afterAll(() => spawner.close());
const spec = SlurmSpecSchema.parse({ time: "00:05:00", cpus: 1 });
const executor = new SlurmExecutor(spec, spawner);
const unavailable =
  (await executor.missing()) ??
  ((await execa("scontrol", ["ping"], { reject: false })).stdout.includes("UP")
    ? null
    : "no Slurm controller answers scontrol ping (scripts/setup-executors.sh slurm starts one)");

/** The states of this test's jobs named `name` that Slurm still holds. */
const jobsNamed = (name: string) => lines(["squeue", "-h", "--name", name, "-o", "%T"]);

let scratch: { dir: string; logs: string };
beforeEach(() => {
  scratch = scratchWorkflow();
});
afterEach(() => removeScratch(scratch.dir));

describeWithEngine("slurm", unavailable, () => {
  it("runs the task as a Slurm job that speaks the protocol, in the workflow folder", async () => {
    const probe = startProbe(executor, { dir: scratch.dir, runId: "s1", nodeId: "probe" });
    const { end, messages } = await probe.ended;
    expect(end).toEqual({ kind: "exited", code: 0, signal: null });
    const output = outputOf(messages);
    expect(output).toMatchObject({ cwd: scratch.dir, sdk: SDK_DIR, node: "probe" });
    expect(output.slurm_job).toMatch(/^\d+$/);
    expect(await probe.task.handle).toBe(attemptName("s1", "probe", 1));
    expect(readLog(probe.logPath)).toContain("probe probe attempt 1 starting");
  });

  it("relays the task's exit code", async () => {
    const probe = startProbe(executor, {
      dir: scratch.dir,
      runId: "s2",
      nodeId: "fails",
      params: { mode: "fail" },
    });
    expect((await probe.ended).end).toMatchObject({ kind: "exited", code: 3 });
  });

  it("terminate goes through scancel: the task's SIGTERM handler runs and the job ends", async () => {
    const probe = startProbe(executor, {
      dir: scratch.dir,
      runId: "s3",
      nodeId: "sleeper",
      params: { mode: "sleep" },
    });
    await probe.waitFor((m) => m.type === "log" && m.message === "ready");
    probe.task.terminate();
    const { end, messages } = await probe.ended;
    expect(end).toMatchObject({ kind: "exited", code: 7 });
    expect(messages).toContainEqual({ type: "log", level: "warning", message: "stopping" });
    await eventually(async () => (await jobsNamed(attemptName("s3", "sleeper", 1))).length === 0);
  });

  it("kill cancels the job at once", async () => {
    const probe = startProbe(executor, {
      dir: scratch.dir,
      runId: "s4",
      nodeId: "sleeper",
      params: { mode: "sleep" },
    });
    await probe.waitFor((m) => m.type === "log" && m.message === "ready");
    probe.task.kill();
    const { end, messages } = await probe.ended;
    expect(end.kind).toBe("exited");
    expect(messages.some((m) => m.message === "stopping")).toBe(false);
    await eventually(async () => (await jobsNamed(attemptName("s4", "sleeper", 1))).length === 0);
  });

  it("four attempts started together are four jobs running at once", async () => {
    const probes = [1, 2, 3, 4].map((i) =>
      startProbe(executor, {
        dir: scratch.dir,
        runId: "s5",
        nodeId: `wide-${i}`,
        params: { mode: "sleep" },
      }),
    );
    await Promise.all(
      probes.map((probe) => probe.waitFor((m) => m.type === "log" && m.message === "ready")),
    );
    const running = await lines([
      "squeue",
      "-h",
      "--name",
      probes.map((_, i) => attemptName("s5", `wide-${i + 1}`, 1)).join(","),
      "-o",
      "%T",
    ]);
    expect(running).toEqual(["RUNNING", "RUNNING", "RUNNING", "RUNNING"]);
    for (const probe of probes) probe.task.terminate();
    for (const probe of probes) expect((await probe.ended).end).toMatchObject({ code: 7 });
  });

  it("after a kill -9 of orch, cleanupLeftovers leaves no job behind", async () => {
    const runId = "s6";
    const name = attemptName(runId, "orphan", 1);
    const orch = execa("node", [join(ROOT, "test/executors/orphan-maker.mjs")], {
      input: JSON.stringify({ kind: "slurm", spec, dir: scratch.dir, runId, nodeId: "orphan" }),
      reject: false,
      buffer: false,
    });
    await eventually(async () => (await jobsNamed(name)).includes("RUNNING"));
    orch.kill("SIGKILL");
    await orch;
    await executor.cleanupLeftovers(runId, [{ nodeId: "orphan", attempt: 1, handle: name }]);
    await eventually(async () => (await jobsNamed(name)).length === 0);
  });
});

it("without srun the attempt fails saying how to install Slurm's client", async () => {
  const saved = process.env.PATH;
  process.env.PATH = "/nonexistent";
  try {
    const absent = new SlurmExecutor(spec, spawner);
    const task = absent.start({
      runId: "s7",
      nodeId: "n",
      attempt: 1,
      argv: ["python3", join(scratch.dir, "tasks/probe.py")],
      cwd: scratch.dir,
      env: {},
      stdin: "{}\n",
      logPath: join(scratch.logs, "n.log"),
    });
    expect(await task.end).toEqual({
      kind: "not-started",
      reason: expect.stringMatching(/^srun and scancel not found on PATH: install Slurm's client/),
    });
  } finally {
    process.env.PATH = saved;
  }
});
