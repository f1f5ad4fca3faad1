import { chmodSync, mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execaSync } from "execa";
import { describe, expect, it } from "vitest";
import { resolvePython } from "../../src/engine/python.js";

const realPython = (): string =>
  String(execaSync("python3", ["-c", "import sys; print(sys.executable)"]).stdout).trim();

describe("resolvePython", () => {
  it("uses an absolute path to a native interpreter as it is", () => {
    const python = realpathSync(realPython());
    expect(resolvePython(python)).toBe(python);
  });

  it("resolves a shim script to the interpreter it runs", () => {
    const dir = mkdtempSync(join(tmpdir(), "orch-python-"));
    const shim = join(dir, "python3");
    writeFileSync(shim, `#!/bin/sh\nexec "${realPython()}" "$@"\n`);
    chmodSync(shim, 0o755);
    const resolved = resolvePython(shim);
    expect(resolved).not.toBe(shim);
    expect(realpathSync(resolved)).toBe(realpathSync(realPython()));
  });

  it("names an interpreter that cannot run", () => {
    expect(() => resolvePython("/no/such/python3")).toThrow(/\/no\/such\/python3/);
  });
});
