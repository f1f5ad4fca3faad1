import { describe, expect, it } from "vitest";
import { fail, hang, succeed } from "../support/fake-executor.js";
import { addNode, gate, runOnFake } from "./harness.js";

const nodes = (...ids: string[]) => ids.map((id) => ({ id, run: "t.py" }));

describe("the run loop on a fake executor", () => {
  it("runs up to `parallel` tasks at once, starting the next as one ends", async () => {
    const gates = new Map(["a", "b", "c", "d", "e"].map((id) => [id, gate()]));
    const run = runOnFake(
      { nodes: nodes("a", "b", "c", "d", "e") },
      (task) => async () => {
        await gates.get(task.node)!.opened;
        task.exit(0);
      },
      3,
    );
    await run.executor.started("c");
    expect(run.executor.running).toBe(3);
    expect(run.executor.tasks.map((t) => t.node)).toEqual(["a", "b", "c"]);
    gates.get("b")!.open();
    await run.executor.started("d");
    expect(run.executor.tasks.map((t) => t.node)).toEqual(["a", "b", "c", "d"]);
    for (const g of gates.values()) g.open();
    expect(await run.outcome).toEqual({ status: "succeeded", reason: null });
    expect(run.executor.maxRunning).toBe(3);
    const running = run.progress.flatMap((p) =>
      p.kind === "node" && p.status === "running" ? [p.running] : [],
    );
    expect(running[2]).toEqual(["a", "b", "c"]);
  });

  it("starts ready nodes in creation order, one at a time by default", async () => {
    const run = runOnFake({ nodes: nodes("z", "a", "m") }, () => succeed());
    expect((await run.outcome).status).toBe("succeeded");
    expect(run.executor.tasks.map((t) => t.node)).toEqual(["z", "a", "m"]);
    expect(run.executor.maxRunning).toBe(1);
  });

  it("keeps a failed node retrying until its due time while other nodes run", async () => {
    const other = gate();
    const run = runOnFake(
      {
        nodes: [
          { id: "f", run: "t.py", retries: 1, retry_delay: 0.2, jitter: 0 },
          { id: "g", run: "t.py" },
        ],
      },
      (task) => async () => {
        if (task.node === "f") return task.exit(task.attempt === 1 ? 1 : 0);
        await other.opened;
        task.exit(0);
      },
      2,
    );
    await run.executor.started("g");
    const f = await run.executor.started("f");
    await f.end;
    // f's first attempt failed: it is retrying with a due time, and g runs on.
    await waitFor(() => run.node("f")?.status === "retrying");
    const retrying = run.node("f")!;
    expect(retrying.next_attempt_at).not.toBeNull();
    expect(run.node("g")!.status).toBe("running");
    await run.executor.started("f", 2);
    expect(run.executor.tasks.find((t) => t.node === "g")!.ended).toBe(false);
    other.open();
    expect((await run.outcome).status).toBe("succeeded");
    expect(run.node("f")!.history.map((a) => a.status)).toEqual(["failed", "succeeded"]);
    expect(run.node("f")!.next_attempt_at).toBeNull();
  });

  it("terminates the run when two running tasks together break a nodes.max promise", async () => {
    const aAdded = gate();
    const run = runOnFake(
      { nodes: nodes("a", "b"), promises: [{ scope: "*", nodes: { max: 3 } }] },
      (task) => async () => {
        if (task.node === "a") {
          task.emit(addNode("a1"));
          task.emit(addNode("a2"));
          aAdded.open();
          return; // hangs until stopped
        }
        await aAdded.opened;
        await waitFor(() => run.doc().nodes.some((n) => n.id === "a2"));
        task.emit(addNode("b1"));
        task.emit(addNode("b2"));
      },
      2,
    );
    const outcome = await run.outcome;
    expect(outcome.status).toBe("terminated");
    expect(outcome.reason).toContain("nodes.max");
    expect(outcome.reason).toContain("b2");
    const doc = run.doc();
    expect(doc.nodes.map((n) => [n.id, n.status])).toEqual([
      ["a", "cancelled"],
      ["b", "failed"],
    ]);
    expect(doc.nodes.find((n) => n.id === "a")!.history[0]!.status).toBe("cancelled");
    const added = run.store.history.read("r").filter((e) => e.event.type === "node_added");
    expect(added).toHaveLength(2);
  });

  it("refuses an edge naming a node another running task added provisionally", async () => {
    const xAdded = gate();
    const done = gate();
    const run = runOnFake(
      { nodes: nodes("a", "b") },
      (task) => async () => {
        if (task.node === "a") {
          task.emit(addNode("x"));
          xAdded.open();
          await done.opened;
          return task.exit(0);
        }
        if (task.node !== "b") return task.exit(0);
        await xAdded.opened;
        await waitFor(() => run.doc().nodes.some((n) => n.id === "x"));
        task.emit(addNode("y"));
        task.emit({ type: "add_edge", from: "x", to: "y" });
        await task.end;
      },
      2,
    );
    const b = await run.executor.started("b");
    await b.end;
    done.open();
    const outcome = await run.outcome;
    expect(outcome.status).toBe("failed");
    const bNode = run.node("b")!;
    expect(bNode.status).toBe("failed");
    expect(bNode.history[0]!.reason).toMatch(/names unknown node x/);
    expect(run.doc().nodes.map((n) => n.id)).toEqual(["a", "b", "x"]);
  });

  it("refuses a node id that another running task has already added", async () => {
    const nAdded = gate();
    const done = gate();
    const run = runOnFake(
      { nodes: nodes("a", "b") },
      (task) => async () => {
        if (task.node === "a") {
          task.emit(addNode("n"));
          nAdded.open();
          await done.opened;
          return task.exit(0);
        }
        if (task.node === "n") return task.exit(0);
        await nAdded.opened;
        await waitFor(() => run.doc().nodes.some((n) => n.id === "n"));
        task.emit(addNode("n"));
      },
      2,
    );
    await (await run.executor.started("b")).end;
    done.open();
    await run.outcome;
    expect(run.node("b")!.history[0]!.reason).toMatch(/node n already exists \(added by a/);
    expect(run.node("n")!.created_by).toBe("a");
  });

  it("takes back a failed attempt's additions, promise counts included, so the retry starts clean", async () => {
    const run = runOnFake(
      {
        nodes: [{ id: "a", run: "t.py", retries: 1, retry_delay: 0 }],
        promises: [{ scope: "a", nodes: { max: 1 } }],
      },
      (task) => (t) => {
        if (t.node !== "a") return t.exit(0);
        t.emit(addNode(`x${t.attempt}`));
        t.exit(t.attempt === 1 ? 1 : 0);
      },
    );
    expect(await run.outcome).toEqual({ status: "succeeded", reason: null });
    expect(run.doc().nodes.map((n) => n.id)).toEqual(["a", "x2"]);
  });

  it("records an interrupted attempt as lost and its node pending again", async () => {
    const run = runOnFake({ nodes: nodes("a", "b") }, () => hang, 2);
    await run.executor.started("b");
    run.interrupt("received SIGINT");
    expect((await run.outcome).status).toBe("interrupted");
    for (const id of ["a", "b"]) {
      expect(run.node(id)!.status).toBe("pending");
      expect(run.node(id)!.history[0]!.status).toBe("lost");
    }
    expect(run.executor.tasks.every((t) => t.signals[0] === "SIGTERM")).toBe(true);
  });

  it("blocks what follows a node that failed for good, and fails the run", async () => {
    const run = runOnFake(
      { nodes: [...nodes("a"), { id: "b", run: "t.py", depends_on: ["a"] }] },
      () => fail(3),
    );
    expect((await run.outcome).status).toBe("failed");
    expect(run.node("b")!.status).toBe("blocked");
    expect(run.node("a")!.history[0]!.exit_code).toBe(3);
  });
});

/** Wait until `condition` holds, checking after each turn of the event loop. */
const waitFor = async (condition: () => boolean): Promise<void> => {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
};
