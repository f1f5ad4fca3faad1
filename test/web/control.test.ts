import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { RunEventSchema } from "../../src/state/events.js";
import { RUN_EVENT_TYPES } from "../../src/web/run-event-types.js";
import {
  daemonAndBrowser,
  drawnState,
  eventually,
  gatedWorkflow,
  gatePath,
  graphNode,
  markWindow,
  nodeDetail,
  openRun,
  runStatus,
  stillMarked,
  submitRun,
  writeWorkflow,
} from "./helpers.js";

const setup = daemonAndBrowser();

/**
 * `prepare`, then `flaky`, which fails until the file `fixed` exists beside it;
 * once fixed it waits for the file `go`, so the test sees it running.
 */
const flakyWorkflow = (dir: string): string =>
  writeWorkflow(
    dir,
    "flaky",
    [
      { id: "prepare", run: "prepare.py" },
      { id: "flaky", run: "flaky.py", depends_on: ["prepare"] },
    ],
    {
      "prepare.py": "from orch import task\ntask.output(rows=3)\n",
      "flaky.py": `import os, sys, time
from orch import task
here = os.path.dirname(os.path.abspath(__file__))
if not os.path.exists(os.path.join(here, "fixed")):
    sys.exit("flaky: not fixed yet")
while not os.path.exists(os.path.join(here, "go")):
    time.sleep(0.05)
task.output(fixed=True)
`,
    },
  );

/** `deploy` asks whether to deploy and how many files, then outputs the answer. */
const askingWorkflow = (dir: string): string =>
  writeWorkflow(dir, "asking", [{ id: "deploy", run: "deploy.py" }], {
    "deploy.py": `from orch import task
answer = task.ask("Deploy?", schema={
    "type": "object",
    "properties": {"ok": {"type": "boolean"}, "files": {"type": "integer", "minimum": 1}},
    "required": ["ok", "files"],
})
task.output(deployed=answer["ok"], files=answer["files"])
`,
  });

const selectNode = async (page: Page, id: string): Promise<void> => {
  await graphNode(page, id).click();
  await eventually(() => page.locator("#node-title").textContent()).toBe(id);
};

const message = (page: Page) => page.locator("#message").textContent();

describe("run control from the web page", () => {
  it("listens to every type of event the history records", () => {
    const recorded = RunEventSchema.options.map((schema) => schema.shape.type.value);
    expect([...RUN_EVENT_TYPES].sort()).toEqual(recorded.sort());
  });

  it("restarts a failed run from its failed node, and shows it run again live", async () => {
    const workflow = flakyWorkflow(setup.t.dir);
    await submitRun(setup.t, workflow, "flaky-1");
    const page = await openRun(setup, "flaky-1");
    await eventually(() => runStatus(page)).toBe("failed");
    await eventually(() => drawnState(page, "flaky")).toBe("flaky: failed");
    await markWindow(page);

    await selectNode(page, "flaky");
    await eventually(() => nodeDetail(page, "attempts")).toBe("1");
    expect(await nodeDetail(page, "attempt 1")).toContain("failed");

    writeFileSync(join(setup.t.dir, "flaky", "fixed"), "");
    await page.locator("#restart").click();
    await eventually(() => message(page)).toBe("run flaky-1 restarted at flaky");
    await eventually(() => runStatus(page)).toBe("running");
    await eventually(() => drawnState(page, "flaky")).toBe("flaky: running");
    await eventually(() => nodeDetail(page, "attempts")).toBe("2");

    writeFileSync(join(setup.t.dir, "flaky", "go"), "");
    await eventually(() => runStatus(page)).toBe("succeeded");
    await eventually(() => drawnState(page, "flaky")).toBe("flaky: succeeded");
    await eventually(() => nodeDetail(page, "outputs")).toContain('"fixed": true');
    expect(await nodeDetail(page, "attempt 1")).toContain("failed");
    expect(await nodeDetail(page, "attempt 2")).toContain("succeeded");
    expect(await stillMarked(page)).toBe(true);

    // Only what follows the restarted node ran again.
    await selectNode(page, "prepare");
    await eventually(() => nodeDetail(page, "attempts")).toBe("1");
    await page.close();
  });

  it("restarts a succeeded node while a later one runs: the run goes back and ends succeeded", async () => {
    await submitRun(setup.t, gatedWorkflow(setup.t.dir), "gated-1");
    const page = await openRun(setup, "gated-1");
    await eventually(() => drawnState(page, "first")).toBe("first: running");
    writeFileSync(gatePath(setup.t.dir, "first"), "");
    await eventually(() => drawnState(page, "second")).toBe("second: running");
    await eventually(() => drawnState(page, "first")).toBe("first: succeeded");
    await markWindow(page);

    // `first` will wait again once restarted.
    rmSync(gatePath(setup.t.dir, "first"));
    await selectNode(page, "first");
    await page.locator("#restart").click();
    await eventually(() => message(page)).toMatch(/^restarted at first: 3 node\(s\) run again/);
    await eventually(() => drawnState(page, "first")).toBe("first: running");
    await eventually(() => drawnState(page, "second")).toBe("second: pending");
    expect(await drawnState(page, "third")).toBe("third: pending");
    expect(await runStatus(page)).toBe("running");
    await eventually(() => nodeDetail(page, "attempts")).toBe("2");

    // The attempt of `second` the restart reached was stopped.
    await selectNode(page, "second");
    await eventually(() => nodeDetail(page, "attempt 1")).toMatch(
      /^cancelled, .*: stopped: first is restarted$/,
    );

    for (const node of ["first", "second", "third"]) writeFileSync(gatePath(setup.t.dir, node), "");
    await eventually(() => runStatus(page)).toBe("succeeded");
    for (const node of ["first", "second", "third"])
      await eventually(() => drawnState(page, node)).toBe(`${node}: succeeded`);
    await eventually(() => nodeDetail(page, "attempts")).toBe("2");
    expect(await stillMarked(page)).toBe(true);
    await page.close();
  });

  it("answers a waiting node through the form: a wrong answer is refused saying why", async () => {
    await submitRun(setup.t, askingWorkflow(setup.t.dir), "asking-1");
    const page = await openRun(setup, "asking-1");
    await eventually(() => drawnState(page, "deploy")).toBe("deploy: waiting");
    await selectNode(page, "deploy");
    const form = page.locator("#ask");
    await form.waitFor({ state: "visible" });
    expect(await form.locator("p").textContent()).toBe("Deploy?");
    expect(await nodeDetail(page, "state")).toBe("waiting (asks: Deploy?)");
    const ok = form.locator('input[name="ok"]');
    const files = form.locator('input[name="files"]');
    expect(await ok.getAttribute("type")).toBe("checkbox");
    expect(await files.getAttribute("type")).toBe("number");

    // A field left empty is missing, not made up.
    await ok.check();
    await form.locator('button[type="submit"]').click();
    await eventually(() => message(page)).toBe(
      "the answer does not match the schema: the value must have required property 'files'",
    );

    await files.fill("0");
    await form.locator('button[type="submit"]').click();
    await eventually(() => message(page)).toBe(
      "the answer does not match the schema: at /files must be >= 1",
    );
    // Still waiting, and what was typed is still there to correct.
    expect(await nodeDetail(page, "state")).toBe("waiting (asks: Deploy?)");
    expect(await ok.isChecked()).toBe(true);
    expect(await files.inputValue()).toBe("0");

    await files.fill("3");
    await form.locator('button[type="submit"]').click();
    await eventually(() => message(page)).toBe("answered: node deploy is ready");
    await eventually(() => runStatus(page)).toBe("succeeded");
    await eventually(() => drawnState(page, "deploy")).toBe("deploy: succeeded");
    await eventually(() => nodeDetail(page, "outputs")).toContain('"files": 3');
    expect(await nodeDetail(page, "outputs")).toContain('"deployed": true');
    expect(await form.isHidden()).toBe(true);
    await page.close();
  });

  it("pauses, resumes and cancels a run the daemon executes, with the buttons", async () => {
    const dir = join(setup.t.dir, "controlled");
    await submitRun(setup.t, gatedWorkflow(dir), "controlled-1");
    const page = await openRun(setup, "controlled-1");
    await eventually(() => drawnState(page, "first")).toBe("first: running");
    const button = (name: string) => page.locator(`#controls button[data-command="${name}"]`);

    await button("pause").click();
    await eventually(() => message(page)).toBe("paused: no new task starts; running ones finish");
    await eventually(() => runStatus(page)).toBe("paused");
    writeFileSync(gatePath(dir, "first"), "");
    await eventually(() => drawnState(page, "first")).toBe("first: succeeded");
    expect(await drawnState(page, "second")).toBe("second: pending");
    expect(await runStatus(page)).toBe("paused");

    await button("resume").click();
    await eventually(() => message(page)).toBe("resumed");
    await eventually(() => drawnState(page, "second")).toBe("second: running");

    await button("cancel").click();
    await eventually(() => message(page)).toBe("cancelled: running tasks are being stopped");
    await eventually(() => runStatus(page)).toBe("cancelled");
    await eventually(() => drawnState(page, "second")).toBe("second: cancelled");
    await eventually(() => drawnState(page, "third")).toBe("third: cancelled");
    await page.close();
  });
});
