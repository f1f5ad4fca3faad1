import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { attemptName } from "../../src/executors/attempt-name.js";
import {
  containerRemoveArgv,
  containerRunArgv,
  containerTerminateArgv,
} from "../../src/executors/container-command.js";
import { scancelArgv, srunArgv } from "../../src/executors/slurm-command.js";
import { ContainerSpecSchema, SlurmSpecSchema } from "../../src/workflow/executor-spec.js";

const request = (spec: Record<string, unknown>, overrides: Record<string, unknown> = {}) => ({
  engine: "podman" as const,
  spec: ContainerSpecSchema.parse({ image: "python:3.11-slim", ...spec }),
  name: "orch-r-n-1",
  workflowDir: "/home/me/flow",
  sdkDir: "/opt/orch-install/tasks-py",
  script: "/home/me/flow/tasks/t.py",
  args: ["--x", "a b; rm -rf /"],
  orchEnv: { ORCH_RUN_ID: "r", ORCH_NODE_ID: "n", ORCH_ATTEMPT: "1" },
  user: { uid: 1000, gid: 1000 },
  ...overrides,
});

describe("containerRunArgv", () => {
  it("builds podman run -i --rm --init with the folder at /work, the SDK read-only, no network", () => {
    const built = containerRunArgv(request({ memory: "512m", cpus: 1.5, env: { MODE: "x" } }));
    expect(built).toEqual({
      ok: true,
      argv: [
        "podman",
        "run",
        "-i",
        "--rm",
        "--init",
        "--name",
        "orch-r-n-1",
        "--network",
        "none",
        "--workdir",
        "/work",
        "--user",
        "1000:1000",
        "--memory",
        "512m",
        "--cpus",
        "1.5",
        "--mount",
        "type=bind,source=/home/me/flow,target=/work",
        "--mount",
        "type=bind,source=/opt/orch-install/tasks-py,target=/opt/orch/sdk,readonly",
        "--env",
        "MODE=x",
        "--env",
        "ORCH_RUN_ID=r",
        "--env",
        "ORCH_NODE_ID=n",
        "--env",
        "ORCH_ATTEMPT=1",
        "--env",
        "PYTHONPATH=/opt/orch/sdk",
        "--env",
        "PYTHONUNBUFFERED=1",
        "python:3.11-slim",
        "python3",
        "-u",
        "tasks/t.py",
        "--x",
        "a b; rm -rf /",
      ],
    });
  });

  it("resolves a relative mount source against the workflow folder and keeps readonly", () => {
    const built = containerRunArgv(
      request({ mounts: [{ source: "data", target: "/data", readonly: true }] }),
    );
    expect(built.ok && built.argv).toContain(
      "type=bind,source=/home/me/flow/data,target=/data,readonly",
    );
  });

  it("refuses a script outside the workflow folder", () => {
    const built = containerRunArgv(request({}, { script: "/home/me/other/t.py" }));
    expect(built).toEqual({
      ok: false,
      reason: expect.stringMatching(/outside the workflow folder/),
    });
  });

  it("refuses a workflow folder whose path would split the mount option", () => {
    const built = containerRunArgv(
      request({}, { workflowDir: "/home/me/a,b", script: "/home/me/a,b/t.py" }),
    );
    expect(built).toEqual({ ok: false, reason: expect.stringMatching(/contains a comma/) });
  });

  it("orch's variables win over the spec's env, which cannot move the SDK", () => {
    const built = containerRunArgv(request({ env: { ORCH_NODE_ID: "fake", PYTHONPATH: "/x" } }));
    const argv = built.ok ? built.argv : [];
    expect(argv).toContain("ORCH_NODE_ID=n");
    expect(argv).not.toContain("ORCH_NODE_ID=fake");
    expect(argv).toContain("PYTHONPATH=/opt/orch/sdk");
    expect(argv).not.toContain("PYTHONPATH=/x");
  });

  it("every argument is its own vector item: any args and env values pass through unchanged", () => {
    fc.assert(
      fc.property(fc.array(fc.string()), fc.string(), (args, value) => {
        const built = containerRunArgv(request({ env: { V: value } }, { args }));
        expect(built.ok).toBe(true);
        const argv = built.ok ? built.argv : [];
        expect(argv.slice(argv.length - args.length - 1)).toEqual(["tasks/t.py", ...args]);
        expect(argv).toContain(`V=${value}`);
      }),
    );
  });
});

describe("container control commands", () => {
  it("terminate is ENGINE kill --signal TERM; remove is rm -f -t 0 (docker: rm -f)", () => {
    expect(containerTerminateArgv("podman", "c")).toEqual([
      "podman",
      "kill",
      "--signal",
      "TERM",
      "c",
    ]);
    expect(containerRemoveArgv("podman", ["a", "b"])).toEqual([
      "podman",
      "rm",
      "-f",
      "-t",
      "0",
      "a",
      "b",
    ]);
    expect(containerRemoveArgv("docker", ["a"])).toEqual(["docker", "rm", "-f", "a"]);
  });
});

describe("the executor specs", () => {
  it("refuse unsafe mounts, options orch owns and malformed sizes, naming what was expected", () => {
    const problems = (spec: unknown) =>
      ContainerSpecSchema.safeParse(spec).error?.issues.map((issue) => issue.message) ?? [];
    expect(problems({ image: "i", mounts: [{ source: "a,b", target: "/x" }] })).toEqual([
      "a mount's source may not contain a comma, a newline or a NUL character",
    ]);
    expect(problems({ image: "i", mounts: [{ source: "a", target: "/work" }] })).toEqual([
      "/work and /opt/orch/sdk are mounted by orch",
    ]);
    expect(problems({ image: "i", mounts: [{ source: "a", target: "rel" }] })).toEqual([
      "a mount's target is an absolute path",
    ]);
    expect(problems({ image: "i", memory: "lots" })).toEqual([
      "memory is a size such as 512m or 2g",
    ]);
    expect(problems({ image: "i", network: "--privileged" })).toHaveLength(1);
    expect(SlurmSpecSchema.safeParse({ extra: ["--job-name=x"] }).success).toBe(false);
    expect(SlurmSpecSchema.safeParse({ extra: ["rm"] }).success).toBe(false);
    expect(SlurmSpecSchema.safeParse({ time: "ten minutes" }).success).toBe(false);
  });

  it("default the network to none", () => {
    expect(ContainerSpecSchema.parse({ image: "i" }).network).toBe("none");
  });
});

describe("srunArgv and scancelArgv", () => {
  it("builds srun -N1 -n1 --job-name NAME with the options, then python3 -u SCRIPT ARGS", () => {
    const spec = SlurmSpecSchema.parse({
      partition: "short",
      time: "00:10:00",
      cpus: 2,
      mem: "1G",
      extra: ["--constraint=fast"],
    });
    expect(
      srunArgv({
        spec,
        jobName: "orch-r-n-1",
        workflowDir: "/shared/flow",
        script: "/shared/flow/t.py",
        args: ["a b"],
      }),
    ).toEqual([
      "srun",
      "-N1",
      "-n1",
      "--job-name",
      "orch-r-n-1",
      "--chdir",
      "/shared/flow",
      "--partition",
      "short",
      "--time",
      "00:10:00",
      "--cpus-per-task",
      "2",
      "--mem",
      "1G",
      "--constraint=fast",
      "python3",
      "-u",
      "/shared/flow/t.py",
      "a b",
    ]);
  });

  it("scancel by job name: a signal to the steps, or the whole job, or only if pending", () => {
    expect(scancelArgv("j", { signal: "TERM" })).toEqual([
      "scancel",
      "--name",
      "j",
      "--signal",
      "TERM",
    ]);
    expect(scancelArgv("j")).toEqual(["scancel", "--name", "j"]);
    expect(scancelArgv("j", { pendingOnly: true })).toEqual([
      "scancel",
      "--name",
      "j",
      "--state",
      "PENDING",
    ]);
  });
});

describe("attemptName", () => {
  it("is orch-RUN-NODE-ATTEMPT when that is already a safe name", () => {
    expect(attemptName("20261206-101010-ab12", "fetch.1", 3)).toBe(
      "orch-20261206-101010-ab12-fetch.1-3",
    );
  });

  it("is always a name engines accept, and distinct attempts get distinct names", () => {
    const id = fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/);
    fc.assert(
      fc.property(id, id, id, fc.integer({ min: 1, max: 1000 }), (run, a, b, attempt) => {
        const name = attemptName(run, a, attempt);
        expect(name).toMatch(/^orch-[A-Za-z0-9_.-]{1,123}$/);
        if (a !== b) expect(attemptName(run, b, attempt)).not.toBe(name);
        expect(attemptName(run, a, attempt + 1)).not.toBe(name);
      }),
    );
  });
});
