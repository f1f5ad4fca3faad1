// An orchestrator that dies: it starts one sleeping probe through a real executor
// (from dist/src/, built by `npm run build`) and waits to be killed with SIGKILL.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { resolvePython } from "../../dist/src/engine/python.js";
import { Spawner } from "../../dist/src/engine/spawner.js";
import { ContainerExecutor } from "../../dist/src/executors/container.js";
import { SlurmExecutor } from "../../dist/src/executors/slurm.js";

const { kind, spec, dir, runId, nodeId } = JSON.parse(readFileSync(0, "utf8"));
const spawner = new Spawner(resolvePython(undefined));
const executor =
  kind === "container" ? new ContainerExecutor(spec, spawner) : new SlurmExecutor(spec, spawner);
executor
  .start({
    runId,
    nodeId,
    attempt: 1,
    argv: ["python3", join(dir, "tasks/probe.py")],
    cwd: dir,
    env: { ORCH_RUN_ID: runId, ORCH_NODE_ID: nodeId, ORCH_ATTEMPT: "1" },
    stdin: `${JSON.stringify({ type: "start", run_id: runId, node: { id: nodeId, params: { mode: "sleep" } }, attempt: 1 })}\n`,
    logPath: join(dir, "logs", `${nodeId}.1.log`),
  })
  .stdout.resume();
setInterval(() => {}, 1000);
