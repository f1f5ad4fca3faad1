import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  daemonAndBrowser,
  drawnState,
  eventually,
  gatedWorkflow,
  gatePath,
  graphNode,
  markWindow,
  openRun,
  runStatus,
  stillMarked,
  submitRun,
} from "./helpers.js";

const setup = daemonAndBrowser();

const openGate = (node: string): void => writeFileSync(gatePath(setup.t.dir, node), "");

describe("the web page", () => {
  it("without the token shows how to get one, and reads nothing", async () => {
    const page = await setup.browser.newPage();
    const refused: number[] = [];
    page.on("response", (r) => {
      if (r.url().includes("/api/")) refused.push(r.status());
    });
    await page.goto(setup.t.url);
    await page.locator("#login").waitFor({ state: "visible" });
    expect(await page.locator("#login").textContent()).toContain("orch daemon status");
    expect(refused).toContain(401);
    expect(await page.locator("#runs tr").count()).toBe(0);
    await page.close();
  });

  it("shows a run live, its nodes' details, and replays it with the time slider", async () => {
    await submitRun(setup.t, gatedWorkflow(setup.t.dir), "live-1");
    const page = await openRun(setup, "live-1");

    // The envelope drawn by the daemon; the first node running, the others pending.
    const firstNode = graphNode(page, "first");
    await firstNode.waitFor();
    await eventually(() => drawnState(page, "first")).toBe("first: running");

    // It updates from the event stream, without a reload.
    await markWindow(page);
    openGate("first");
    await eventually(() => drawnState(page, "second")).toBe("second: running");
    await eventually(() => drawnState(page, "first")).toBe("first: succeeded");
    expect(await stillMarked(page)).toBe(true);

    // A node's details: state, attempts, outputs, log tail.
    await firstNode.click();
    await eventually(() => page.locator("#node-title").textContent()).toBe("first");
    const details = page.locator("#node-details");
    await eventually(() => details.textContent()).toContain("succeeded");
    expect(await details.textContent()).toContain('"node": "first"');
    await eventually(() => page.locator("#node-log").textContent()).toContain("first waiting for");

    openGate("second");
    openGate("third");
    await eventually(() => runStatus(page)).toBe("succeeded");
    await eventually(() => drawnState(page, "third")).toBe("third: succeeded");

    // The time slider: back to right after registration, every node pending; then live again.
    const slider = page.locator("#slider");
    const max = Number(await slider.getAttribute("max"));
    expect(max).toBeGreaterThan(5);
    await slider.fill("4");
    await eventually(() => page.locator("#graph").getAttribute("data-at")).toBe("4");
    await eventually(() => drawnState(page, "first")).toBe("first: pending");
    expect(await page.locator("#slider-label").textContent()).toBe(`event 4 of ${max}`);
    await slider.fill(String(max));
    await eventually(() => page.locator("#graph").getAttribute("data-at")).toBe("live");
    await eventually(() => drawnState(page, "first")).toBe("first: succeeded");
    await page.close();
  });
});
