import { describe, expect, it } from "vitest";
import { pyTask, sandbox } from "./helpers.js";

describe("a new database", () => {
  // Both processes find no database, create it, switch it to WAL and migrate it;
  // the one second to each step must wait for or skip it, never fail.
  it("can be created by two orch processes at the same moment", async () => {
    for (let round = 0; round < 6; round++) {
      const { orch, write } = sandbox();
      const file = write({
        "w/workflow.json": JSON.stringify({ name: "twice", nodes: [{ id: "a", run: "a.py" }] }),
        "w/a.py": pyTask("pass"),
      });
      const results = await Promise.all([
        orch("start", file, "--run-id", "one"),
        orch("start", file, "--run-id", "two"),
      ]);
      for (const result of results) expect(result.exitCode, result.stderr).toBe(0);
      const runs = await orch("runs", "--json");
      expect(
        JSON.parse(runs.stdout)
          .map((r: { id: string }) => r.id)
          .sort(),
      ).toEqual(["one", "two"]);
    }
  });
});
