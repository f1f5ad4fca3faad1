import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FencedOut, StorageFailure } from "../../src/store/failures.js";
import { Store } from "../../src/store/store.js";

const AT = "2026-01-01T00:00:00.000Z";

const twoProcesses = () => {
  const path = join(mkdtempSync(join(tmpdir(), "orch-fence-")), "orch.db");
  const first = Store.open(path);
  first.runs.insertRun({ id: "r1", workflow: "/w.json", name: "w", at: AT });
  return { path, first, second: Store.open(path) };
};

const appendLog = (store: Store): void =>
  store.transaction(() =>
    store.history.append("r1", AT, [{ type: "output", id: "a", values: { n: 1 } }]),
  );

describe("fenced writes", () => {
  it("a store whose claim was superseded writes nothing more, and is told the new owner's pid", () => {
    const { first, second } = twoProcesses();
    first.transaction(() => first.claim("r1", { pid: 111, started: 5 }, AT));
    appendLog(first);
    second.transaction(() => second.claim("r1", { pid: 222, started: 6 }, AT));
    const before = second.history.read("r1").length;
    expect(() => appendLog(first)).toThrow(FencedOut);
    expect(() => appendLog(first)).toThrow(/taken over by another orch process \(pid 222\)/);
    expect(second.history.read("r1")).toHaveLength(before);
    appendLog(second);
    expect(second.runs.getRun("r1")?.epoch).toBe(2);
    first.close();
    second.close();
  });

  it("a store that claimed nothing is not fenced (reads and registration)", () => {
    const { first, second } = twoProcesses();
    second.transaction(() => second.claim("r1", { pid: 222, started: null }, AT));
    appendLog(first);
    expect(first.history.read("r1")).toHaveLength(1);
    first.close();
    second.close();
  });
});

describe("the database file's identity", () => {
  it("a removed database is noticed before the next write, naming it", () => {
    const { path, first, second } = twoProcesses();
    second.close();
    rmSync(path);
    expect(() => appendLog(first)).toThrow(StorageFailure);
    expect(() => appendLog(first)).toThrow(`${path}: the database file was removed`);
    first.close();
  });

  it("a database replaced by another file is noticed too", () => {
    const { path, first, second } = twoProcesses();
    second.close();
    writeFileSync(`${path}.other`, "");
    renameSync(`${path}.other`, path);
    expect(() => appendLog(first)).toThrow(/the database file was replaced/);
    first.close();
  });
});
