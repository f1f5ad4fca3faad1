/**
 * Which executor runs a node: its policy's container or Slurm spec (never warm),
 * else a warm or cold local process; and `orch validate` says when `warm` is ignored.
 */
import { afterEach, describe, expect, it } from "vitest";
import { resolvePython } from "../../src/engine/python.js";
import { localExecutors } from "../../src/executors/choose.js";
import { ContainerExecutor } from "../../src/executors/container.js";
import { SlurmExecutor } from "../../src/executors/slurm.js";
import { Graph } from "../../src/graph/graph.js";
import type { ExecutorSpec } from "../../src/workflow/executor-spec.js";
import { resolvePolicy } from "../../src/workflow/policy.js";
import { scratchSpace, workflow } from "../reliability/helpers.js";

const { scratch } = scratchSpace(afterEach);

const CONTAINER: ExecutorSpec = {
  container: { image: "python:3.11-slim", network: "none", env: {}, mounts: [] },
};
const SLURM: ExecutorSpec = { slurm: { extra: [] } };

describe("the executors of a run", () => {
  const node = new Graph().addNode({ id: "n", run: "n.py", args: [], params: {}, createdBy: null });
  const pick = (executor: ExecutorSpec, warm: boolean) => {
    const set = localExecutors(resolvePython(undefined), { dir: process.cwd(), preload: [] });
    try {
      return set.executorFor(node, resolvePolicy({ executor, warm }, {}));
    } finally {
      set.close();
    }
  };

  it("runs a container or Slurm node there, cold even when it is warm", () => {
    const container = pick(CONTAINER, true);
    expect(container).toBeInstanceOf(ContainerExecutor);
    expect(container.name).toMatch(/^container\((podman|docker):python:3\.11-slim\)$/);
    expect(pick(SLURM, true)).toBeInstanceOf(SlurmExecutor);
  });

  it("runs a local node warm or cold as its policy says", () => {
    expect(pick("local", false).name).toBe("local");
    expect(pick("local", true).name).toBe("local (warm)");
  });

  it("has one executor per distinct spec", () => {
    const set = localExecutors(resolvePython(undefined), { dir: process.cwd(), preload: [] });
    try {
      const of = (executor: ExecutorSpec) => set.executorFor(node, resolvePolicy({ executor }, {}));
      expect(of(CONTAINER)).toBe(of(structuredClone(CONTAINER)));
      expect(of(CONTAINER)).not.toBe(of({ container: { ...CONTAINER.container, image: "x:1" } }));
      expect(of(SLURM)).toBe(of(structuredClone(SLURM)));
    } finally {
      set.close();
    }
  });
});

describe("orch validate", () => {
  it("warns that a warm container or Slurm node runs cold, and accepts the file", async () => {
    const sb = scratch();
    const file = sb.write({
      "w/workflow.json": workflow(
        "warm-elsewhere",
        [
          { id: "boxed", run: "t.py", warm: true },
          { id: "queued", run: "t.py", executor: { slurm: {} } },
          { id: "here", run: "t.py", warm: true, executor: "local" },
        ],
        { defaults: { executor: { container: { image: "python:3.11-slim" } } } },
      ),
      "w/t.py": "",
    });
    const result = await sb.orch("validate", file);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(": ok");
    const warnings = result.stderr.split("\n").filter((line) => line.includes("warning"));
    expect(warnings).toEqual([
      `${file}: warning: node boxed: "warm" applies to local tasks only; it runs on container(podman:python:3.11-slim), started cold`,
    ]);
  });
});
