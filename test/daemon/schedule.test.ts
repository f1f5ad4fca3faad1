import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { type CliResult, sandbox } from "../cli/helpers.js";
import { waitFor } from "./helpers.js";

const TASK = `from orch import task
task.output(scheduled_for=task.start_message.get("run", {}).get("scheduled_for"))
`;

const stopAfter: (() => Promise<CliResult>)[] = [];
afterEach(async () => {
  for (const stop of stopAfter.splice(0)) await stop();
});

const ScheduleListSchema = z.array(
  z.object({ name: z.string(), cron: z.string(), timezone: z.string(), catchup: z.boolean() }),
);
const RunsSchema = z.array(z.object({ id: z.string(), status: z.string() }));

describe("orch schedule", () => {
  it("adds, lists and removes schedules, refusing a bad cron expression with the reason", async () => {
    const s = sandbox();
    const workflow = s.write({
      "wf.json": JSON.stringify({
        name: "nightly",
        schedule: { cron: "0 2 * * *", timezone: "Europe/Paris" },
        nodes: [{ id: "a", run: "t.py" }],
      }),
      "t.py": TASK,
    });
    const bad = await s.orch("schedule", "add", workflow, "--cron", "61 * * * *", "--name", "bad");
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('cron expression "61 * * * *" (UTC)');
    expect(bad.stderr).toMatch(/minute/);

    expect((await s.orch("schedule", "add", workflow)).exitCode).toBe(0);
    expect(
      (await s.orch("schedule", "add", workflow, "--cron", "*/5 * * * *", "--name", "often"))
        .exitCode,
    ).toBe(0);
    const again = await s.orch("schedule", "add", workflow);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain("a schedule named nightly exists already");

    const list = ScheduleListSchema.parse(
      JSON.parse((await s.orch("schedule", "list", "--json")).stdout),
    );
    expect(list).toMatchObject([
      { name: "nightly", cron: "0 2 * * *", timezone: "Europe/Paris", catchup: false },
      { name: "often", cron: "*/5 * * * *", timezone: "UTC" },
    ]);
    expect((await s.orch("schedule", "rm", "often")).exitCode).toBe(0);
    const gone = await s.orch("schedule", "rm", "often");
    expect(gone.exitCode).toBe(2);
    expect(gone.stderr).toContain("no schedule named often (there are: nightly)");
  });

  it("an every-minute schedule is started by the daemon once per minute, with its time", async () => {
    const s = sandbox();
    const workflow = s.write({
      "wf.json": JSON.stringify({ name: "minutely", nodes: [{ id: "a", run: "t.py" }] }),
      "t.py": TASK,
    });
    expect((await s.orch("schedule", "add", workflow, "--cron", "* * * * *")).exitCode).toBe(0);
    const started = await s.orch("daemon", "--detach", "--port", "0");
    expect(started.exitCode).toBe(0);
    stopAfter.push(() => s.orch("daemon", "stop"));

    const run = await waitFor(async () => {
      const runs = RunsSchema.parse(JSON.parse((await s.orch("runs", "--json")).stdout));
      return runs.find((r) => r.status === "succeeded");
    });
    const scheduledFor = /^minutely\.(.+)$/.exec(run.id)![1]!;
    expect(new Date(scheduledFor).getUTCSeconds()).toBe(0);
    const doc = z
      .object({
        run: z.object({ scheduled_for: z.string() }),
        nodes: z.array(z.object({ outputs: z.object({ scheduled_for: z.string() }) })),
      })
      .parse(JSON.parse((await s.orch("status", run.id, "--json")).stdout));
    expect(Date.parse(doc.run.scheduled_for)).toBe(Date.parse(scheduledFor));
    expect(doc.nodes[0]!.outputs.scheduled_for).toBe(doc.run.scheduled_for);

    // Stopped and started again within the minute: the time is not run twice.
    expect((await s.orch("daemon", "stop")).exitCode).toBe(0);
    stopAfter.pop();
    expect((await s.orch("daemon", "--detach", "--port", "0")).exitCode).toBe(0);
    stopAfter.push(() => s.orch("daemon", "stop"));
    const runs = RunsSchema.parse(JSON.parse((await s.orch("runs", "--json")).stdout));
    const ids = runs.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => id === run.id)).toHaveLength(1);
    // The next minute may be up to a minute away, and the test's runs come after it.
  }, 180_000);
});
