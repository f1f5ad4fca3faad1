/**
 * `orch start` / `orch resume` with nodes in containers and on Slurm: the same
 * guarantees as local tasks (protocol, logs, retries, timeouts), and nothing left
 * running after a timeout or after a kill -9 of orch followed by a resume.
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { resolvePython } from "../../src/engine/python.js";
import { Spawner } from "../../src/engine/spawner.js";
import { attemptName } from "../../src/executors/attempt-name.js";
import { ContainerExecutor } from "../../src/executors/container.js";
import { SlurmExecutor } from "../../src/executors/slurm.js";
import type { ExecutorSpec } from "../../src/workflow/executor-spec.js";
import {
  expectNoCrash,
  nodeOf,
  scratchSpace,
  status,
  waitFor,
  workflow,
} from "../reliability/helpers.js";
import { describeWithEngine, eventually, lines, ROOT, TEST_IMAGE } from "./harness.js";

const { scratch } = scratchSpace(afterEach);

/** Attempt 1 sleeps until stopped; later attempts succeed. */
const SLEEPY = `import sys, time
from orch import task
print(f"attempt {task.attempt} of {task.node_id}", file=sys.stderr, flush=True)
if task.attempt == 1 and task.params.get("sleep_first"):
    while True:
        time.sleep(0.1)
if task.attempt == 1 and task.params.get("fail_first"):
    raise SystemExit(11)
task.output(attempt=task.attempt)
`;

const spawner = new Spawner(resolvePython(undefined));
const engines: {
  readonly label: string;
  readonly spec: ExecutorSpec;
  readonly unavailable: string | null;
  /** Names of this engine's containers or jobs still there. */
  readonly leftover: (name: string) => Promise<string[]>;
}[] = [
  {
    label: "podman",
    spec: { container: { image: TEST_IMAGE, network: "none", env: {}, mounts: [] } },
    unavailable: await new ContainerExecutor(
      { image: TEST_IMAGE, network: "none", env: {}, mounts: [] },
      spawner,
      "podman",
    ).missing(),
    leftover: (name) =>
      lines(["podman", "ps", "-a", "--filter", `name=^${name}$`, "--format", "{{.Names}}"]),
  },
  {
    label: "slurm",
    spec: { slurm: { extra: [] } },
    unavailable: await new SlurmExecutor({ extra: [] }, spawner).missing(),
    leftover: (name) => lines(["squeue", "-h", "--name", name, "-o", "%j"]),
  },
];
spawner.close();

for (const { label, spec, unavailable, leftover } of engines) {
  describeWithEngine(`orch with ${label} nodes`, unavailable, () => {
    it("runs the fixture: runtime nodes run with their creator's executor", async () => {
      const sb = scratch();
      const fixture = label === "podman" ? "container" : "slurm";
      const result = await sb.orch(
        "start",
        `${ROOT}/fixtures/${fixture}/workflow.json`,
        "--run-id",
        "f1",
      );
      expectNoCrash(result);
      expect(result.exitCode).toBe(0);
      const s = await status(sb, "f1");
      expect(s.nodes.map((node) => [node.id, node.status]).sort()).toEqual([
        ["after", "succeeded"],
        ["probe", "succeeded"],
        ["probe.0", "succeeded"],
        ["probe.1", "succeeded"],
      ]);
      const child = nodeOf(s, "probe.0").outputs as Record<string, unknown>;
      if (label === "podman") expect(child).toMatchObject({ cwd: "/work", sdk: "/opt/orch/sdk" });
      else expect(child.slurm_job).toMatch(/^\d+$/);
    });

    it("retries a failed attempt and stops a task at its timeout, leaving nothing behind", async () => {
      const sb = scratch();
      const file = sb.write({
        "w/workflow.json": workflow(
          "retry-timeout",
          [
            {
              id: "flaky",
              run: "sleepy.py",
              params: { fail_first: true },
              retries: 1,
              retry_delay: 0.1,
            },
            { id: "slow", run: "sleepy.py", params: { sleep_first: true }, timeout: 4 },
          ],
          { defaults: { executor: spec } },
        ),
        "w/sleepy.py": SLEEPY,
      });
      const result = await sb.orch("start", file, "--run-id", "t1");
      expectNoCrash(result);
      expect(result.exitCode).toBe(1);
      const s = await status(sb, "t1");
      const flaky = nodeOf(s, "flaky");
      expect(flaky.history.map((h) => [h.attempt, h.status, h.exit_code])).toEqual([
        [1, "failed", 11],
        [2, "succeeded", 0],
      ]);
      expect(flaky.outputs).toEqual({ attempt: 2 });
      const slow = nodeOf(s, "slow");
      expect(slow.status).toBe("failed");
      expect(slow.history[0]!.reason).toBe("timed out after 4s");
      await eventually(async () => (await leftover(attemptName("t1", "slow", 1))).length === 0);
    });

    it("after a kill -9 of orch, resume removes the attempt's leftover and runs it again", async () => {
      const sb = scratch();
      const file = sb.write({
        "w/workflow.json": workflow(
          "crash",
          [{ id: "sleeper", run: "sleepy.py", params: { sleep_first: true } }],
          { defaults: { executor: spec } },
        ),
        "w/sleepy.py": SLEEPY,
      });
      const name = attemptName("k1", "sleeper", 1);
      const orch = sb.spawn("start", file, "--run-id", "k1");
      await eventually(async () => (await leftover(name)).length === 1);
      orch.kill("SIGKILL");
      await orch.catch(() => undefined);
      expect(await waitFor(() => orch.exitCode !== null || orch.signalCode !== null, 10_000)).toBe(
        true,
      );
      const resumed = await sb.orch("resume", "k1");
      expectNoCrash(resumed);
      expect(resumed.exitCode).toBe(0);
      expect(await leftover(name)).toEqual([]);
      const sleeper = nodeOf(await status(sb, "k1"), "sleeper");
      expect(sleeper.history.map((h) => [h.attempt, h.status])).toEqual([
        [1, "lost"],
        [2, "succeeded"],
      ]);
    });
  });
}

/** Waits until the workflow folder holds `release`, then succeeds. */
const HELD = `import os, time
from orch import task
while not os.path.exists("release"):
    time.sleep(0.1)
task.output(node=task.node_id)
`;

const slurm = engines.find((engine) => engine.label === "slurm")!;
describeWithEngine("orch --parallel with slurm nodes", slurm.unavailable, () => {
  it("--parallel 4 keeps four Slurm jobs in the queue at once", async () => {
    const sb = scratch();
    const ids = ["j0", "j1", "j2", "j3"];
    const file = sb.write({
      "w/workflow.json": workflow(
        "four-jobs",
        ids.map((id) => ({ id, run: "held.py" })),
        { defaults: { executor: slurm.spec } },
      ),
      "w/held.py": HELD,
    });
    const orch = sb.spawn("start", file, "--run-id", "p4", "--parallel", "4");
    const names = ids.map((id) => attemptName("p4", id, 1));
    const queued = async () =>
      (await lines(["squeue", "-h", "-o", "%j"])).filter((name) => names.includes(name));
    // Every task waits for the release: the four jobs are queued together or never.
    await eventually(async () => (await queued()).length === 4);
    writeFileSync(join(dirname(file), "release"), "");
    const result = await orch;
    expect(result.exitCode).toBe(0);
    const s = await status(sb, "p4");
    expect(s.nodes.map((node) => [node.id, node.status]).sort()).toEqual(
      ids.map((id) => [id, "succeeded"]),
    );
    expect(await queued()).toEqual([]);
  });
});
