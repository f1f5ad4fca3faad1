import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { fixture, MAIN } from "./helpers.js";

/** Preloaded into orch: counts the Intl.Segmenters built, and says so as it exits. */
const COUNT_SEGMENTERS = `
const Built = Intl.Segmenter;
let count = 0;
Intl.Segmenter = class extends Built { constructor(...args) { super(...args); count++; } };
process.on("exit", () => process.stderr.write("segmenters built: " + count + "\\n"));
`;

const segmentersBuilt = async (...args: string[]) => {
  const preload = join(mkdtempSync(join(tmpdir(), "orch-startup-")), "count.cjs");
  writeFileSync(preload, COUNT_SEGMENTERS);
  const result = await execa("node", ["--require", preload, MAIN, ...args], { reject: false });
  const count = /segmenters built: (\d+)/.exec(String(result.stderr))?.[1];
  return { exitCode: result.exitCode, stdout: String(result.stdout), built: Number(count) };
};

// The bundle defers string-width's ICU tables (rolldown.config.mjs): ~20 ms of
// every command that prints no help text.
describe("what a command builds as it starts", () => {
  it("builds no text segmenter for a command that lays out no help", async () => {
    const validated = await segmentersBuilt("validate", fixture("static"));
    expect(validated.exitCode).toBe(0);
    expect(validated.built).toBe(0);
  });

  it("still measures help text, with a segmenter built on first use", async () => {
    const help = await segmentersBuilt("--help");
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(/orch validate <workflow> +check a workflow file/);
    expect(help.built).toBeGreaterThan(0);
  });
});
