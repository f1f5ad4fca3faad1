/**
 * The same behaviour from every executor that runs tasks beyond this process's
 * machine, driven directly with real engines: podman containers and Slurm jobs.
 */
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, expect, it } from "vitest";
import { resolvePython } from "../../src/engine/python.js";
import { Spawner } from "../../src/engine/spawner.js";
import { attemptName } from "../../src/executors/attempt-name.js";
import { ContainerExecutor } from "../../src/executors/container.js";
import type { Executor } from "../../src/executors/executor.js";
import { SlurmExecutor } from "../../src/executors/slurm.js";
import { SDK_DIR } from "../../src/package-root.js";
import { ContainerSpecSchema, SlurmSpecSchema } from "../../src/workflow/executor-spec.js";
import {
  describeWithEngine,
  endWithoutEngines,
  eventually,
  lines,
  outputOf,
  ROOT,
  readLog,
  startProbe,
  startSleeper,
  TEST_IMAGE,
  useScratch,
} from "./harness.js";

const spawner = new Spawner(resolvePython(undefined));
afterAll(() => spawner.close());
const scratch = useScratch();

const containerSpec = ContainerSpecSchema.parse({
  image: TEST_IMAGE,
  engine: "podman",
  memory: "256m",
});
const slurmSpec = SlurmSpecSchema.parse({ time: "00:05:00", cpus: 1 });
const podman = new ContainerExecutor(containerSpec, spawner);
const slurm = new SlurmExecutor(slurmSpec, spawner);

const cases: {
  readonly label: string;
  readonly executor: Executor;
  /** What orphan-maker.mjs needs to build the same executor. */
  readonly orphan: { readonly kind: string; readonly spec: object };
  readonly unavailable: string | null;
  /** The names of this engine's containers or jobs called `name` that are still there. */
  readonly leftover: (name: string) => Promise<string[]>;
  /** The probe's output for node `node` run in `dir`. */
  readonly output: (dir: string, node: string) => Record<string, unknown>;
}[] = [
  {
    label: "podman",
    executor: podman,
    orphan: { kind: "container", spec: containerSpec },
    unavailable:
      (await podman.missing()) ??
      ((await execa("podman", ["image", "exists", TEST_IMAGE], { reject: false })).exitCode === 0
        ? null
        : `the test image ${TEST_IMAGE} is missing (scripts/setup-executors.sh image builds it)`),
    leftover: (name) =>
      lines(["podman", "ps", "-a", "--filter", `name=^${name}$`, "--format", "{{.Names}}"]),
    output: (_dir, node) => ({ cwd: "/work", sdk: "/opt/orch/sdk", slurm_job: null, node }),
  },
  {
    label: "slurm",
    executor: slurm,
    orphan: { kind: "slurm", spec: slurmSpec },
    unavailable:
      (await slurm.missing()) ??
      ((await execa("scontrol", ["ping"], { reject: false })).stdout.includes("UP")
        ? null
        : "no Slurm controller answers scontrol ping (scripts/setup-executors.sh slurm starts one)"),
    leftover: (name) => lines(["squeue", "-h", "--name", name, "-o", "%j"]),
    output: (dir, node) => ({
      cwd: dir,
      sdk: SDK_DIR,
      slurm_job: expect.stringMatching(/^\d+$/),
      node,
    }),
  },
];

for (const { label, executor, orphan, unavailable, leftover, output } of cases) {
  const gone = (name: string) => eventually(async () => (await leftover(name)).length === 0);

  describeWithEngine(label, unavailable, () => {
    it("runs the task where its executor says, speaking the protocol", async () => {
      const probe = startProbe(executor, { dir: scratch().dir, runId: "r1", nodeId: "probe:a" });
      const { end, messages } = await probe.ended;
      expect(end).toEqual({ kind: "exited", code: 0, signal: null });
      expect(outputOf(messages)).toEqual(output(scratch().dir, "probe:a"));
      expect(await probe.task.handle).toBe(attemptName("r1", "probe:a", 1));
      expect(readLog(probe.logPath)).toContain("probe probe:a attempt 1 starting");
      await gone(attemptName("r1", "probe:a", 1));
    });

    it("relays the task's exit code", async () => {
      const probe = startProbe(executor, {
        dir: scratch().dir,
        runId: "r2",
        nodeId: "fails",
        params: { mode: "fail" },
      });
      expect((await probe.ended).end).toEqual({ kind: "exited", code: 3, signal: null });
    });

    it("terminate reaches the task's SIGTERM handler, and nothing is left", async () => {
      const probe = await startSleeper(executor, { dir: scratch().dir, runId: "r3", nodeId: "s" });
      probe.task.terminate();
      const { end, messages } = await probe.ended;
      expect(end).toEqual({ kind: "exited", code: 7, signal: null });
      expect(messages).toContainEqual({ type: "log", level: "warning", message: "stopping" });
      await gone(attemptName("r3", "s", 1));
    });

    it("kill stops it at once, without its handler, and nothing is left", async () => {
      const probe = await startSleeper(executor, { dir: scratch().dir, runId: "r4", nodeId: "s" });
      probe.task.kill();
      const { end, messages } = await probe.ended;
      expect(end.kind).toBe("exited");
      expect(messages.some((m) => m.message === "stopping")).toBe(false);
      await gone(attemptName("r4", "s", 1));
    });

    it("four attempts started together run at once", async () => {
      const probes = await Promise.all(
        [1, 2, 3, 4].map((i) =>
          startSleeper(executor, { dir: scratch().dir, runId: "r5", nodeId: `wide-${i}` }),
        ),
      );
      for (const i of [1, 2, 3, 4])
        expect(await leftover(attemptName("r5", `wide-${i}`, 1))).toHaveLength(1);
      for (const probe of probes) probe.task.terminate();
      for (const probe of probes) expect((await probe.ended).end).toMatchObject({ code: 7 });
    });

    it("after a kill -9 of orch, cleanupLeftovers removes what the attempt left", async () => {
      const name = attemptName("r6", "orphan", 1);
      const orch = execa("node", [join(ROOT, "test/executors/orphan-maker.mjs")], {
        input: JSON.stringify({ ...orphan, dir: scratch().dir, runId: "r6", nodeId: "orphan" }),
        reject: false,
        buffer: false,
      });
      await eventually(async () => (await leftover(name)).length === 1);
      orch.kill("SIGKILL");
      await orch;
      // A container outlives its client; Slurm cancels a job whose srun died by itself.
      if (label === "podman") expect(await leftover(name)).toEqual([name]);
      await executor.cleanupLeftovers("r6", [{ nodeId: "orphan", attempt: 1, handle: null }]);
      await gone(name);
    });
  });
}

describeWithEngine("podman", cases[0]?.unavailable ?? null, () => {
  it("refuses a script outside the workflow folder without starting anything", async () => {
    const task = podman.start({
      runId: "r7",
      nodeId: "outside",
      attempt: 1,
      argv: ["python3", "/etc/hostname"],
      cwd: scratch().dir,
      env: {},
      stdin: "{}\n",
      logPath: join(scratch().logs, "outside.log"),
    });
    const end = await task.end;
    expect(end.kind).toBe("not-started");
    expect(end.kind === "not-started" && end.reason).toMatch(/outside the workflow folder/);
    expect(await task.handle).toBeNull();
  });
});

it("a missing engine fails the attempt saying what to install", async () => {
  const withoutPodman = () => new ContainerExecutor(containerSpec, spawner, "podman");
  expect(await endWithoutEngines(withoutPodman, scratch().dir)).toEqual({
    kind: "not-started",
    reason: expect.stringMatching(/^podman is not installed: apt-get install podman/),
  });
  const withoutSlurm = () => new SlurmExecutor(slurmSpec, spawner);
  expect(await endWithoutEngines(withoutSlurm, scratch().dir)).toEqual({
    kind: "not-started",
    reason: expect.stringMatching(/^srun and scancel not found on PATH: install Slurm's client/),
  });
});
