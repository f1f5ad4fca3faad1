import { statSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { type CliResult, fixture, StatusSchema, sandbox } from "../cli/helpers.js";
import { waitFor } from "./helpers.js";

const SLOW_TASK = `import time
from orch import task
time.sleep(float(task.params.get("seconds", 1)))
task.output(done=True)
`;
const slowWorkflow = (s: ReturnType<typeof sandbox>): string =>
  s.write({
    "slow/workflow.json": JSON.stringify({
      name: "slow",
      nodes: [
        { id: "a", run: "tasks/slow.py", params: { seconds: 3 } },
        { id: "b", run: "tasks/slow.py", params: { seconds: 0.1 }, depends_on: ["a"] },
      ],
    }),
    "slow/tasks/slow.py": SLOW_TASK,
  });

const stopAfter: (() => Promise<CliResult>)[] = [];
afterEach(async () => {
  for (const stop of stopAfter.splice(0)) await stop();
});

const statusOf = async (s: ReturnType<typeof sandbox>, runId: string) => {
  const result = await s.orch("status", runId, "--json");
  return result.exitCode === 0 ? StatusSchema.parse(JSON.parse(result.stdout)) : undefined;
};

describe("orch daemon through the command line", () => {
  it("starts detached, refuses a second, hosts start --detach, stops, and resumes its runs", async () => {
    const s = sandbox();
    const workflow = slowWorkflow(s);

    const none = await s.orch("start", workflow, "--detach");
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain("orch daemon --detach");

    const started = await s.orch("daemon", "--detach", "--port", "0");
    expect(started.exitCode).toBe(0);
    stopAfter.push(() => s.orch("daemon", "stop"));
    expect(started.stdout).toMatch(/open http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{48}/);
    expect(statSync(`${s.db}.daemon-token`).mode & 0o777).toBe(0o600);

    const second = await s.orch("daemon", "--detach", "--port", "0");
    expect(second.exitCode).toBe(2);
    const pid = /pid (\d+)/.exec(started.stdout)![1]!;
    expect(second.stderr).toContain(`a daemon already serves ${s.db}: pid ${pid}`);

    const status = await s.orch("daemon", "status");
    expect(status.exitCode).toBe(0);
    expect(status.stdout).toContain(started.stdout.split("\n")[1]!);

    const submitted = await s.orch("start", workflow, "--detach", "--run-id", "slow-1");
    expect(submitted.exitCode).toBe(0);
    expect(submitted.stdout.trim()).toBe("slow-1");

    await waitFor(async () => {
      const doc = await statusOf(s, "slow-1");
      return doc?.nodes.find((n) => n.id === "a")?.status === "running" ? true : undefined;
    });
    const stopped = await s.orch("daemon", "stop");
    expect(stopped.exitCode).toBe(0);
    stopAfter.pop();
    expect((await statusOf(s, "slow-1"))?.run.status).toBe("interrupted");
    expect((await s.orch("daemon", "status")).exitCode).toBe(2);

    // A run in the foreground elsewhere is not the daemon's: it is never resumed by it.
    const foreground = await s.orch("start", fixture("diamond"), "--run-id", "fg-1");
    expect(foreground.exitCode).toBe(0);

    const again = await s.orch("daemon", "--detach", "--port", "0");
    expect(again.exitCode).toBe(0);
    stopAfter.push(() => s.orch("daemon", "stop"));
    const finished = await waitFor(async () => {
      const doc = await statusOf(s, "slow-1");
      return doc?.run.status === "succeeded" ? doc : undefined;
    });
    expect(finished.nodes.map((n) => `${n.id}:${n.status}`)).toEqual([
      "a:succeeded",
      "b:succeeded",
    ]);

    // Both runs are shown, the foreground one too.
    const url = /open (http:\/\/[^/]+)\/\?token=(\w+)/.exec(again.stdout)!;
    const runs = z
      .array(z.object({ id: z.string() }))
      .parse(
        await (
          await fetch(`${url[1]}/api/runs`, { headers: { authorization: `Bearer ${url[2]}` } })
        ).json(),
      );
    expect(runs.map((r) => r.id).sort()).toEqual(["fg-1", "slow-1"]);
  });
});
