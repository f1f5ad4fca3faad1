import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadWorkflow } from "../../src/workflow/load.js";

const workflowWith = (steps: string, nodes: unknown[]): string => {
  const dir = mkdtempSync(join(tmpdir(), "orch-call-"));
  mkdirSync(join(dir, "etl"));
  writeFileSync(join(dir, "etl", "__init__.py"), "");
  writeFileSync(join(dir, "etl", "steps.py"), steps);
  writeFileSync(join(dir, "wf.json"), JSON.stringify({ name: "typed", nodes }));
  return join(dir, "wf.json");
};

describe("a call node's type hints", () => {
  it("become its output schema and its input bindings' schemas", () => {
    const file = workflowWith(
      "def count(rows: list[dict], limit: int | None = None) -> int:\n    return len(rows)\n",
      [
        { id: "a", call: "etl.steps:count", params: { rows: [] } },
        { id: "b", call: "etl.steps:count", inputs: { rows: { node: "a", output: "result" } } },
        {
          id: "c",
          call: "etl.steps:count",
          outputs: { result: { type: "number" } },
          params: { rows: [] },
        },
      ],
    );
    const loaded = loadWorkflow(file);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
    const [a, b, c] = loaded.value.workflow.nodes;
    expect(a?.outputs).toEqual({ result: { type: "integer" } });
    expect(b?.inputs).toEqual({
      rows: { node: "a", output: "result", schema: { type: "array", items: { type: "object" } } },
    });
    expect(c?.outputs).toEqual({ result: { type: "number" } });
  });

  it("are not guessed for a function that is not there: the node is refused", () => {
    const file = workflowWith("def other():\n    pass\n", [{ id: "a", call: "etl.steps:missing" }]);
    const loaded = loadWorkflow(file);
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.issues[0]?.path).toBe("nodes[0].call");
    expect(loaded.issues[0]?.message).toMatch(
      /cannot load etl\.steps:missing:[\s\S]*has no attribute 'missing'/,
    );
  });
});
