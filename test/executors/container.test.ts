import { join } from "node:path";
import { execa } from "execa";
import { afterAll, afterEach, beforeEach, expect, it } from "vitest";
import { resolvePython } from "../../src/engine/python.js";
import { Spawner } from "../../src/engine/spawner.js";
import { attemptName } from "../../src/executors/attempt-name.js";
import { ContainerExecutor } from "../../src/executors/container.js";
import { ContainerSpecSchema } from "../../src/workflow/executor-spec.js";
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
  TEST_IMAGE,
} from "./harness.js";

const spawner = new Spawner(resolvePython(undefined));
afterAll(() => spawner.close());
const spec = ContainerSpecSchema.parse({ image: TEST_IMAGE, engine: "podman", memory: "256m" });
const executor = new ContainerExecutor(spec, spawner);
const unavailable =
  (await executor.missing()) ??
  ((await execa("podman", ["image", "exists", TEST_IMAGE], { reject: false })).exitCode === 0
    ? null
    : `the test image ${TEST_IMAGE} is missing (scripts/setup-executors.sh image builds it)`);

const containersNamed = (name: string) =>
  lines(["podman", "ps", "-a", "--filter", `name=^${name}$`, "--format", "{{.Names}}"]);

let scratch: { dir: string; logs: string };
beforeEach(() => {
  scratch = scratchWorkflow();
});
afterEach(() => removeScratch(scratch.dir));

describeWithEngine("podman", unavailable, () => {
  it("runs the task in a container that speaks the protocol, with the workflow folder at /work", async () => {
    const probe = startProbe(executor, { dir: scratch.dir, runId: "r1", nodeId: "probe:a" });
    const { end, messages } = await probe.ended;
    expect(end).toEqual({ kind: "exited", code: 0, signal: null });
    expect(outputOf(messages)).toEqual({
      cwd: "/work",
      sdk: "/opt/orch/sdk",
      slurm_job: null,
      node: "probe:a",
    });
    expect(await probe.task.handle).toBe(attemptName("r1", "probe:a", 1));
    expect(readLog(probe.logPath)).toContain("probe probe:a attempt 1 starting");
    expect(await containersNamed(attemptName("r1", "probe:a", 1))).toEqual([]);
  });

  it("relays the task's exit code", async () => {
    const probe = startProbe(executor, {
      dir: scratch.dir,
      runId: "r2",
      nodeId: "fails",
      params: { mode: "fail" },
    });
    expect((await probe.ended).end).toEqual({ kind: "exited", code: 3, signal: null });
  });

  it("terminate sends SIGTERM into the container: the task's handler runs, nothing is left", async () => {
    const probe = startProbe(executor, {
      dir: scratch.dir,
      runId: "r3",
      nodeId: "sleeper",
      params: { mode: "sleep" },
    });
    await probe.waitFor((m) => m.type === "log" && m.message === "ready");
    probe.task.terminate();
    const { end, messages } = await probe.ended;
    expect(end).toEqual({ kind: "exited", code: 7, signal: null });
    expect(messages).toContainEqual({ type: "log", level: "warning", message: "stopping" });
    await eventually(
      async () => (await containersNamed(attemptName("r3", "sleeper", 1))).length === 0,
    );
  });

  it("kill stops it at once and removes the container", async () => {
    const probe = startProbe(executor, {
      dir: scratch.dir,
      runId: "r4",
      nodeId: "sleeper",
      params: { mode: "sleep" },
    });
    await probe.waitFor((m) => m.type === "log" && m.message === "ready");
    probe.task.kill();
    const { end, messages } = await probe.ended;
    expect(end.kind).toBe("exited");
    expect(messages.some((m) => m.message === "stopping")).toBe(false);
    await eventually(
      async () => (await containersNamed(attemptName("r4", "sleeper", 1))).length === 0,
    );
  });

  it("after a kill -9 of orch, cleanupLeftovers removes the container it left running", async () => {
    const runId = "r5";
    const name = attemptName(runId, "orphan", 1);
    const orch = execa("node", [join(ROOT, "test/executors/orphan-maker.mjs")], {
      input: JSON.stringify({ kind: "container", spec, dir: scratch.dir, runId, nodeId: "orphan" }),
      reject: false,
      buffer: false,
    });
    await eventually(async () => (await containersNamed(name)).length === 1);
    orch.kill("SIGKILL");
    await orch;
    // Its client is gone with it, the container is not.
    expect(await containersNamed(name)).toEqual([name]);
    await executor.cleanupLeftovers(runId, [{ nodeId: "orphan", attempt: 1, handle: null }]);
    expect(await containersNamed(name)).toEqual([]);
  });

  it("refuses a script outside the workflow folder without starting anything", async () => {
    const task = executor.start({
      runId: "r6",
      nodeId: "outside",
      attempt: 1,
      argv: ["python3", "/etc/hostname"],
      cwd: scratch.dir,
      env: {},
      stdin: "{}\n",
      logPath: join(scratch.logs, "outside.log"),
    });
    const end = await task.end;
    expect(end.kind).toBe("not-started");
    expect(end.kind === "not-started" && end.reason).toMatch(/outside the workflow folder/);
    expect(await task.handle).toBeNull();
  });
});

it("an engine that is not installed fails the attempt saying what to install", async () => {
  const saved = process.env.PATH;
  process.env.PATH = "/nonexistent";
  try {
    const absent = new ContainerExecutor(spec, spawner, "podman");
    const task = absent.start({
      runId: "r7",
      nodeId: "n",
      attempt: 1,
      argv: ["python3", join(scratch.dir, "tasks/probe.py")],
      cwd: scratch.dir,
      env: {},
      stdin: "{}\n",
      logPath: join(scratch.logs, "n.log"),
    });
    const end = await task.end;
    expect(end).toEqual({
      kind: "not-started",
      reason: expect.stringMatching(/^podman is not installed: apt-get install podman/),
    });
  } finally {
    process.env.PATH = saved;
  }
});
