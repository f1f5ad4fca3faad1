import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { RotatingLog } from "../../src/log/rotating-log.js";
import { fixture, MAIN, sandbox } from "./helpers.js";

describe("orch's own log", () => {
  it("rotates by size and keeps a fixed number of files", () => {
    const { dir } = sandbox();
    const path = join(dir, "orch.log");
    const log = new RotatingLog(path, { maxBytes: 200, keep: 2 });
    for (let i = 0; i < 40; i++) log.write(`line ${i} ${"x".repeat(20)}`);
    const files = readdirSync(dir)
      .filter((f) => f.startsWith("orch.log"))
      .sort();
    expect(files).toEqual(["orch.log", "orch.log.1", "orch.log.2"]);
    for (const f of files) expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(200);
    expect(readFileSync(path, "utf8")).toContain("line 39");
    expect(statSync(path).mode & 0o077).toBe(0);
  });

  it("records every state change of a run beside the database", async () => {
    const { dir, db } = sandbox();
    const result = await execa(
      "node",
      [MAIN, "start", fixture("diamond"), "--db", db, "--run-id", "logged"],
      { reject: false, env: { ORCH_LOG_MAX_BYTES: "600", ORCH_LOG_KEEP: "1" } },
    );
    expect(result.exitCode).toBe(0);
    const text = readFileSync(join(dir, "orch.log"), "utf8");
    expect(text).toMatch(/run logged: run succeeded/);
    expect(existsSync(join(dir, "orch.log.1"))).toBe(true);
    expect(existsSync(join(dir, "orch.log.2"))).toBe(false);
  });
});
