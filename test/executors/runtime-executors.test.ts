import { describe, expect, it } from "vitest";
import { AttemptSession } from "../../src/engine/attempt.js";
import { decodeLine } from "../../src/protocol/decode.js";
import type { RunEvent } from "../../src/state/events.js";
import { RunState } from "../../src/state/run-state.js";
import type { ExecutorSpec } from "../../src/workflow/executor-spec.js";

const SANDBOX: ExecutorSpec = {
  container: { image: "python:3.11", network: "none", env: {}, mounts: [] },
};

/** A run whose one node, `root`, runs in a container; `root` is then sent `messages`. */
const session = (runtimeExecutors: boolean, messages: readonly object[]) => {
  const events: RunEvent[] = [
    {
      type: "defaults",
      policy: {},
      ...(runtimeExecutors ? { runtime_executors: true } : {}),
    },
    {
      type: "node_added",
      id: "root",
      run: "root.py",
      args: [],
      params: {},
      created_by: null,
      policy: { executor: SANDBOX },
    },
  ];
  const state = RunState.replay(events);
  const attempt = new AttemptSession(state, "root", { maxNodes: 100, maxMutations: 100 });
  const verdicts = messages.map((message, i) =>
    attempt.onLine(decodeLine(JSON.stringify(message), i + 1)),
  );
  return { state, verdicts };
};

describe("the executor of a node added at runtime", () => {
  it("is its creator's when it names none", () => {
    const { state, verdicts } = session(false, [{ type: "add_node", id: "child", run: "c.py" }]);
    expect(verdicts).toEqual([{ stop: false }]);
    expect(state.policy("child").executor).toEqual(SANDBOX);
  });

  it("may be named the same as its creator's", () => {
    const { verdicts } = session(false, [
      {
        type: "add_node",
        id: "child",
        run: "c.py",
        executor: { container: { image: "python:3.11" } },
      },
    ]);
    expect(verdicts).toEqual([{ stop: false }]);
  });

  it("may not be another one (local, other mounts) unless the workflow sets runtime_executors", () => {
    const unsandboxed = { type: "add_node", id: "free", run: "c.py", executor: "local" };
    const mounts = {
      type: "add_node",
      id: "wider",
      run: "c.py",
      executor: { container: { image: "python:3.11", mounts: [{ source: "/", target: "/host" }] } },
    };
    for (const message of [unsandboxed, mounts]) {
      const { state, verdicts } = session(false, [message]);
      expect(verdicts).toEqual([
        {
          stop: true,
          reason: expect.stringMatching(
            /^stdout line 1: add_node \S+: its executor .* differs from its creator's \(container\(podman:python:3\.11\)\); .*"runtime_executors": true$/,
          ),
        },
      ]);
      expect(state.graph.has(message.id)).toBe(false);
    }
    const allowed = session(true, [unsandboxed]);
    expect(allowed.verdicts).toEqual([{ stop: false }]);
    expect(allowed.state.policy("free").executor).toBe("local");
  });
});
