import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { schemaVersion } from "../../src/store/db.js";
import { MIGRATIONS } from "../../src/store/migrations.js";
import { Store } from "../../src/store/store.js";

const freshStore = () => {
  const path = join(mkdtempSync(join(tmpdir(), "orch-store-")), "sub", "orch.db");
  return { path, store: Store.open(path) };
};

describe("Store", () => {
  it("creates the database in WAL mode, readable by the user only, at the latest schema version", () => {
    const { path, store } = freshStore();
    expect(store.db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(schemaVersion(store.db)).toBe(MIGRATIONS.length);
    expect(statSync(path).mode & 0o077).toBe(0);
    store.close();
    const again = Store.open(path);
    expect(schemaVersion(again.db)).toBe(MIGRATIONS.length);
    again.close();
  });

  it("refuses to open a missing database read-only, naming the path", () => {
    expect(() => Store.open("/nonexistent/dir/orch.db", { readonly: true })).toThrow(
      /\/nonexistent\/dir\/orch.db/,
    );
  });

  it("appends events in order and keeps the projections in step", () => {
    const { store } = freshStore();
    store.transaction(() => {
      store.runs.insertRun({
        id: "r1",
        workflow: "/w.json",
        name: "w",
        at: "2026-01-01T00:00:00.000Z",
      });
      store.history.append("r1", "2026-01-01T00:00:00.000Z", [
        { type: "node_added", id: "a", run: "a.py", args: [], params: {}, created_by: null },
        { type: "node_added", id: "b", run: "b.py", args: [], params: { k: 1 }, created_by: "a" },
        { type: "edge_added", from: "a", to: "b", created_by: "a" },
      ]);
    });
    store.history.append("r1", "2026-01-01T00:00:01.000Z", [
      { type: "node_status", id: "a", status: "running", attempt: 1, reason: null },
      { type: "node_status", id: "a", status: "succeeded", attempt: 1, reason: null },
      { type: "run_status", status: "succeeded", reason: null },
    ]);
    expect(
      store.graph.listNodes("r1").map((n) => [n.id, n.seq, n.status, n.attempts, n.created_by]),
    ).toEqual([
      ["a", 0, "succeeded", 1, null],
      ["b", 1, "pending", 0, "a"],
    ]);
    expect(store.graph.listEdges("r1")).toEqual([{ from_id: "a", to_id: "b", created_by: "a" }]);
    expect(store.runs.getRun("r1")?.status).toBe("succeeded");
    const events = store.history.read("r1");
    expect(events.map((e) => e.event.type)).toEqual([
      "node_added",
      "node_added",
      "edge_added",
      "node_status",
      "node_status",
      "run_status",
    ]);
    expect(store.history.read("r1", { seq: events[2]!.seq }).length).toBe(3);
    expect(store.history.read("r1", { at: "2026-01-01T00:00:00.500Z" }).length).toBe(3);
    store.close();
  });

  it("stages mutations above the commit mark: provisional until the next append, or discarded", () => {
    const { store } = freshStore();
    store.runs.insertRun({
      id: "r1",
      workflow: "/w.json",
      name: "w",
      at: "2026-01-01T00:00:00.000Z",
    });
    const at = "2026-01-01T00:00:01.000Z";
    store.history.append("r1", at, [
      { type: "node_added", id: "a", run: "a.py", args: [], params: {}, created_by: null },
    ]);
    const stageX = () =>
      store.history.stage("r1", { node: "a", attempt: 1 }, [
        { type: "node_added", id: "x", run: "x.py", args: [], params: {}, created_by: "a" },
        { type: "edge_added", from: "a", to: "x", created_by: "a" },
      ]);
    stageX();
    expect(store.history.readProvisional("r1").map((e) => e.type)).toEqual([
      "node_added",
      "edge_added",
    ]);
    expect(store.history.read("r1").map((e) => e.event.type)).toEqual(["node_added"]);

    store.history.discardStaged("r1", { node: "a", attempt: 1 });
    expect(store.history.readProvisional("r1")).toHaveLength(0);
    expect(store.graph.listNodes("r1").map((n) => n.id)).toEqual(["a"]);
    expect(store.graph.listEdges("r1")).toHaveLength(0);

    // Staged again (a retry) and committed with the attempt's end.
    stageX();
    store.history.commitStaged("r1", { node: "a", attempt: 1 }, at, [
      ...store.history.readProvisional("r1"),
      { type: "node_status", id: "a", status: "succeeded", attempt: 1, reason: null },
    ]);
    expect(store.history.readProvisional("r1")).toHaveLength(0);
    expect(store.history.read("r1").map((e) => e.event.type)).toEqual([
      "node_added",
      "node_added",
      "edge_added",
      "node_status",
    ]);
    expect(store.graph.listNodes("r1").map((n) => n.id)).toEqual(["a", "x"]);
    store.close();
  });

  it("rolls a transaction back whole when it throws", () => {
    const { store } = freshStore();
    store.runs.insertRun({
      id: "r1",
      workflow: "/w.json",
      name: "w",
      at: "2026-01-01T00:00:00.000Z",
    });
    expect(() =>
      store.transaction(() => {
        store.history.append("r1", "t", [
          { type: "node_added", id: "a", run: "a.py", args: [], params: {}, created_by: null },
        ]);
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(store.history.read("r1")).toHaveLength(0);
    expect(store.graph.listNodes("r1")).toHaveLength(0);
    store.close();
  });
});

describe("Store creation order", () => {
  it("numbers nodes without gaps even after a rolled-back transaction", () => {
    const { store } = freshStore();
    store.runs.insertRun({ id: "r1", workflow: "/w.json", name: "w", at: "t" });
    const add = (id: string) =>
      store.history.append("r1", "t", [
        { type: "node_added", id, run: "a.py", args: [], params: {}, created_by: null },
      ]);
    expect(() =>
      store.transaction(() => {
        add("a");
        throw new Error("boom");
      }),
    ).toThrow();
    add("b");
    add("c");
    expect(store.graph.listNodes("r1").map((n) => [n.id, n.seq])).toEqual([
      ["b", 0],
      ["c", 1],
    ]);
    store.close();
  });
});
