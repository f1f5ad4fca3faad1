import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../../scripts/chromium.js";
import { writeFiles } from "../cli/helpers.js";
import { type TestDaemon, testDaemon } from "../daemon/helpers.js";

/** Poll until it holds; the test's own timeout is the only limit (no wall-time bound here). */
const eventually = <T>(read: () => Promise<T> | T) =>
  expect.poll(read, { timeout: 55_000, interval: 50 });

let t: TestDaemon;
let browser: BrowserContext;
beforeAll(async () => {
  t = await testDaemon();
  browser = await launchChromium(mkdtempSync(join(tmpdir(), "orch-chromium-")));
});
afterAll(async () => {
  await browser?.close();
  await t?.daemon.stop("the test ended");
});

/** Three nodes in a chain, each waiting for a file the test writes: the test decides when each ends. */
const gatedWorkflow = (dir: string): string =>
  writeFiles(dir, {
    "gated/workflow.json": JSON.stringify({
      name: "gated",
      nodes: [
        { id: "first", run: "gate.py" },
        { id: "second", run: "gate.py", depends_on: ["first"] },
        { id: "third", run: "gate.py", depends_on: ["second"] },
      ],
    }),
    "gated/gate.py": `import os, sys, time
from orch import task
gate = os.path.join(os.path.dirname(os.path.abspath(__file__)), "open-" + task.node_id)
print(f"{task.node_id} waiting for {gate}", file=sys.stderr, flush=True)
while not os.path.exists(gate):
    time.sleep(0.05)
task.output(node=task.node_id)
`,
  });

const openGate = (node: string): string => writeFiles(t.dir, { [`gated/open-${node}`]: "" });

describe("the web page", () => {
  it("without the token shows how to get one, and reads nothing", async () => {
    const page = await browser.newPage();
    const refused: number[] = [];
    page.on("response", (r) => {
      if (r.url().includes("/api/")) refused.push(r.status());
    });
    await page.goto(t.url);
    await page.locator("#login").waitFor({ state: "visible" });
    expect(await page.locator("#login").textContent()).toContain("orch daemon status");
    expect(refused).toContain(401);
    expect(await page.locator("#runs tr").count()).toBe(0);
    await page.close();
  });

  it("shows a run live, its nodes' details, and replays it with the time slider", async () => {
    const workflow = gatedWorkflow(t.dir);
    const created = await t.call("/api/runs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ workflow, run_id: "live-1" }),
    });
    expect(created.status).toBe(201);

    const page = await browser.newPage();
    await page.goto(`${t.url}/?token=${t.daemon.token}`);
    const row = page.locator('#runs tr[data-run="live-1"]');
    await row.waitFor();
    await row.click();

    // The envelope drawn by the daemon; the first node running, the others pending.
    const firstNode = page.locator("#graph g.node", {
      has: page.locator("title", { hasText: /^first$/ }),
    });
    await firstNode.waitFor();
    await eventually(() => firstNode.locator("a").getAttribute("xlink:title")).toBe(
      "first: running",
    );

    // It updates from the event stream, without a reload.
    const marker = await page.evaluate(() => {
      (globalThis as unknown as { marker: number }).marker = 42;
      return 42;
    });
    openGate("first");
    const secondNode = page.locator("#graph g.node", {
      has: page.locator("title", { hasText: /^second$/ }),
    });
    await eventually(() => secondNode.locator("a").getAttribute("xlink:title")).toBe(
      "second: running",
    );
    await eventually(() => firstNode.locator("a").getAttribute("xlink:title")).toBe(
      "first: succeeded",
    );
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(
      marker,
    );

    // A node's details: state, attempts, outputs, log tail.
    await firstNode.click();
    await eventually(() => page.locator("#node-title").textContent()).toBe("first");
    const details = page.locator("#node-details");
    await eventually(() => details.textContent()).toContain("succeeded");
    expect(await details.textContent()).toContain('"node": "first"');
    await eventually(() => page.locator("#node-log").textContent()).toContain("first waiting for");

    openGate("second");
    openGate("third");
    await eventually(() => page.locator("#run-title").getAttribute("data-status")).toBe(
      "succeeded",
    );
    const thirdNode = page.locator("#graph g.node", {
      has: page.locator("title", { hasText: /^third$/ }),
    });
    await eventually(() => thirdNode.locator("a").getAttribute("xlink:title")).toBe(
      "third: succeeded",
    );

    // The time slider: back to right after registration, every node pending; then live again.
    const slider = page.locator("#slider");
    const max = Number(await slider.getAttribute("max"));
    expect(max).toBeGreaterThan(5);
    await slider.fill("4");
    await eventually(() => page.locator("#graph").getAttribute("data-at")).toBe("4");
    await eventually(() => firstNode.locator("a").getAttribute("xlink:title")).toBe(
      "first: pending",
    );
    expect(await page.locator("#slider-label").textContent()).toBe(`event 4 of ${max}`);
    await slider.fill(String(max));
    await eventually(() => page.locator("#graph").getAttribute("data-at")).toBe("live");
    await eventually(() => firstNode.locator("a").getAttribute("xlink:title")).toBe(
      "first: succeeded",
    );
    await page.close();
  });
});
