import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, expect } from "vitest";
import { launchChromium } from "../../scripts/chromium.js";
import { writeFiles } from "../cli/helpers.js";
import { type TestDaemon, testDaemon } from "../daemon/helpers.js";

/** Poll until it holds; the test's own timeout is the only limit (no wall-time bound here). */
export const eventually = <T>(read: () => Promise<T> | T) =>
  expect.poll(read, { timeout: 55_000, interval: 50 });

export interface PageTestSetup {
  readonly t: TestDaemon;
  readonly browser: BrowserContext;
}

/**
 * A daemon in this process and headless Chromium (a fresh profile) for the
 * tests of one file: started before them, stopped after. Read its fields in tests.
 */
export const daemonAndBrowser = (): PageTestSetup => {
  const setup: { t?: TestDaemon; browser?: BrowserContext } = {};
  beforeAll(async () => {
    setup.t = await testDaemon();
    setup.browser = await launchChromium(mkdtempSync(join(tmpdir(), "orch-chromium-")));
  });
  afterAll(async () => {
    await setup.browser?.close();
    await setup.t?.daemon.stop("the test ended");
  });
  return {
    get t() {
      if (setup.t === undefined) throw new Error("the daemon starts before the tests");
      return setup.t;
    },
    get browser() {
      if (setup.browser === undefined) throw new Error("the browser starts before the tests");
      return setup.browser;
    },
  };
};

/** Workflow `name` in `dir/name/`: its file, with `nodes`, and its scripts. Gives the file's path. */
export const writeWorkflow = (
  dir: string,
  name: string,
  nodes: readonly object[],
  scripts: Record<string, string>,
): string =>
  writeFiles(dir, {
    [`${name}/workflow.json`]: JSON.stringify({ name, nodes }),
    ...Object.fromEntries(Object.entries(scripts).map(([file, text]) => [`${name}/${file}`, text])),
  });

/** Three nodes in a chain, each waiting for a file the test writes: the test decides when each ends. */
export const gatedWorkflow = (dir: string): string =>
  writeWorkflow(
    dir,
    "gated",
    [
      { id: "first", run: "gate.py" },
      { id: "second", run: "gate.py", depends_on: ["first"] },
      { id: "third", run: "gate.py", depends_on: ["second"] },
    ],
    {
      "gate.py": `import os, sys, time
from orch import task
gate = os.path.join(os.path.dirname(os.path.abspath(__file__)), "open-" + task.node_id)
print(f"{task.node_id} waiting for {gate}", file=sys.stderr, flush=True)
while not os.path.exists(gate):
    time.sleep(0.05)
task.output(node=task.node_id)
`,
    },
  );

/** The gate file `node` of the gated workflow in `dir` waits for. */
export const gatePath = (dir: string, node: string): string => join(dir, "gated", `open-${node}`);

/** Submit `workflow` to the daemon as run `runId`. */
export const submitRun = async (t: TestDaemon, workflow: string, runId: string): Promise<void> => {
  const created = await t.call("/api/runs", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ workflow, run_id: runId }),
  });
  expect(created.status, await created.clone().text()).toBe(201);
};

/** The page, logged in with the token, with run `runId` selected. */
export const openRun = async ({ t, browser }: PageTestSetup, runId: string): Promise<Page> => {
  const page = await browser.newPage();
  await page.goto(`${t.url}/?token=${t.daemon.token}`);
  const row = page.locator(`#runs tr[data-run="${runId}"]`);
  await row.waitFor();
  await row.click();
  return page;
};

/** Node `id` as the envelope draws it. */
export const graphNode = (page: Page, id: string): Locator =>
  page.locator("#graph g.node", {
    has: page.locator("title", { hasText: new RegExp(`^${id}$`) }),
  });

/** What the drawing says of node `id` ("first: running"). */
export const drawnState = (page: Page, id: string): Promise<string | null> =>
  graphNode(page, id).locator("a").getAttribute("xlink:title");

/** The run's status as the page's title has it. */
export const runStatus = (page: Page): Promise<string | null> =>
  page.locator("#run-title").getAttribute("data-status");

/** A row of the selected node's details ("attempts" → "2"). */
export const nodeDetail = async (page: Page, name: string): Promise<string | null> => {
  const row = page.locator("#node-details tr", {
    has: page.locator("td:first-child", { hasText: new RegExp(`^${name}$`) }),
  });
  return (await row.count()) === 0 ? null : row.locator("td").nth(1).textContent();
};

type Marked = { orchTestMark?: true };

/** Mark the page's window, so that `stillMarked` can tell it was not reloaded since. */
export const markWindow = (page: Page): Promise<void> =>
  page.evaluate(() => {
    (globalThis as Marked).orchTestMark = true;
  });

export const stillMarked = (page: Page): Promise<boolean> =>
  page.evaluate(() => (globalThis as Marked).orchTestMark === true);
