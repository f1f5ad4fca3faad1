import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers.js";

// After the README's setup, `npx orch …` works from the repository root.
describe("npx orch", () => {
  it("runs the built bin as users do, through its #! line", async () => {
    const result = await execa("npx", ["--no-install", "orch", "--version"], {
      cwd: ROOT,
      reject: false,
      timeout: 60_000,
    });
    expect(result.stderr).not.toMatch(/Permission denied/);
    expect(result.exitCode).toBe(0);
    expect(String(result.stdout).trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("validates a fixture", async () => {
    const result = await execa(
      "npx",
      ["--no-install", "orch", "validate", "fixtures/map/workflow.json"],
      {
        cwd: ROOT,
        reject: false,
        timeout: 60_000,
      },
    );
    expect(result.exitCode).toBe(0);
  });
});
