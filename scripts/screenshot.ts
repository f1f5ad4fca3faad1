// `make screenshot`: the daemon's page showing a finished run of the dynamic
// example, taken in headless Chromium, written to the file named (docs/daemon-run.png).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDaemon } from "../src/daemon/daemon.js";
import { resolvePython } from "../src/engine/python.js";
import { RotatingLog } from "../src/log/rotating-log.js";
import { PACKAGE_ROOT } from "../src/package-root.js";
import { launchChromium } from "./chromium.js";

const out = process.argv[2] ?? "docs/daemon-run.png";
const dir = mkdtempSync(join(tmpdir(), "orch-screenshot-"));
const daemon = await startDaemon({
  db: join(dir, "orch.db"),
  host: "127.0.0.1",
  port: 0,
  maxTasks: null,
  python: resolvePython(undefined),
  log: new RotatingLog(join(dir, "orch.log")),
});
const context = await launchChromium(join(dir, "chromium"));
try {
  const response = await fetch(`${daemon.state.url}/api/runs`, {
    method: "POST",
    headers: { authorization: `Bearer ${daemon.token}`, "content-type": "application/json" },
    body: JSON.stringify({
      workflow: join(PACKAGE_ROOT, "fixtures/dynamic/workflow.json"),
      run_id: "dynamic-1",
    }),
  });
  if (response.status !== 201) throw new Error(`the run was refused: ${await response.text()}`);
  const page = await context.newPage();
  await page.goto(`${daemon.state.url}/?token=${daemon.token}`);
  await page.locator('#runs tr[data-run="dynamic-1"]').click();
  await page.locator('#run-title[data-status="succeeded"]').waitFor({ timeout: 120_000 });
  await page.locator("#graph g.node").first().click();
  await page.locator("#node-log").filter({ hasText: "==" }).waitFor();
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await context.close();
  await daemon.stop("the screenshot is taken");
}
