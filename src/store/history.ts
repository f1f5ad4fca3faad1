import { DEFAULT_LOOP_MAX } from "../graph/graph.js";
import {
  type MutationEvent,
  MutationEventSchema,
  type RunEvent,
  RunEventSchema,
} from "../state/events.js";
import { BulkInsert } from "./bulk-insert.js";
import type { Db } from "./db.js";
import { EventRowSchema } from "./rows.js";

/** Where to stop reading history: an event sequence number or an ISO timestamp. */
export type HistoryBound = { readonly seq: number } | { readonly at: string };

export interface StoredEvent {
  readonly seq: number;
  readonly at: string;
  readonly event: RunEvent;
}

/**
 * The append-only event table and the projections (nodes, edges, attempts, run
 * status) kept beside it. Every event is written here and nowhere else, so
 * history and projections cannot drift apart; callers wrap related appends in
 * one transaction.
 *
 * A running attempt's mutations are staged as they arrive, in rows of their
 * own tagged with the attempt, where readers see them as provisional. When the
 * attempt succeeds they are appended to the history with its end, in one
 * transaction, and their staged rows go; when it fails, only the staged rows
 * go. Many attempts may be staging at once; the history is in commit order.
 */
export const historyQueries = (db: Db) => {
  const events = new BulkInsert(db, "events", [
    "seq",
    "run_id",
    "at",
    "type",
    "node_id",
    "payload",
  ]);
  const nodes = new BulkInsert(db, "nodes", [
    "run_id",
    "id",
    "seq",
    "run",
    "args",
    "params",
    "created_by",
    "status",
    "event_seq",
    "trigger",
  ]);
  const edges = new BulkInsert(db, "edges", [
    "run_id",
    "from_id",
    "to_id",
    "created_by",
    "seq",
    "event_seq",
    "loop_max",
  ]);
  const staged = new BulkInsert(db, "staged", ["run_id", "node_id", "attempt", "payload"]);
  const flush = () => {
    events.flush();
    nodes.flush();
    edges.flush();
  };
  // Events are numbered here, so projection rows can name theirs before it is
  // written; from the highest number ever given (AUTOINCREMENT's), never reused.
  const lastEventSeq = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'").pluck();
  // Creation order of the projections: read once per append, counted on from there.
  const nextNodeSeq = db
    .prepare("SELECT COALESCE(MAX(seq), -1) + 1 FROM nodes WHERE run_id = ?")
    .pluck();
  const nextEdgeSeq = db
    .prepare("SELECT COALESCE(MAX(seq), -1) + 1 FROM edges WHERE run_id = ?")
    .pluck();
  const updateNodeStatus = db.prepare(
    `UPDATE nodes SET status = @status, attempts = MAX(attempts, @attempt), reason = @reason,
       started_at = CASE WHEN @status = 'running' THEN @at ELSE started_at END,
       finished_at = CASE WHEN @status IN ('succeeded','failed','blocked','skipped','cancelled') THEN @at ELSE NULL END,
       next_attempt_at = @next_attempt_at, iteration = COALESCE(@iteration, iteration)
     WHERE run_id = @run_id AND id = @id`,
  );
  const insertAttempt = db.prepare(
    `INSERT INTO attempts (run_id, node_id, attempt, status, started_at, log_path, pid, executor, handle)
     VALUES (@run_id, @id, @attempt, 'running', @at, @log, @pid, @executor, @handle)`,
  );
  const finishAttempt = db.prepare(
    `UPDATE attempts SET status = @status, finished_at = @at, exit_code = @exit_code, signal = @signal, reason = @reason
     WHERE run_id = @run_id AND node_id = @id AND attempt = @attempt`,
  );
  const updateOutputs = db.prepare("UPDATE nodes SET outputs = ? WHERE run_id = ? AND id = ?");
  const updateInputs = db.prepare("UPDATE nodes SET inputs = ? WHERE run_id = ? AND id = ?");
  const updateAsk = db.prepare("UPDATE nodes SET ask = ? WHERE run_id = ? AND id = ?");
  const deleteEdgesOf = db.prepare(
    "DELETE FROM edges WHERE run_id = @run AND (from_id = @id OR to_id = @id)",
  );
  const deleteEdgesBy = db.prepare("DELETE FROM edges WHERE run_id = ? AND created_by = ?");
  const deleteNode = db.prepare("DELETE FROM nodes WHERE run_id = ? AND id = ?");
  const deleteAttempts = db.prepare("DELETE FROM attempts WHERE run_id = ? AND node_id = ?");
  const resetNode = db.prepare(
    `UPDATE nodes SET status = 'pending', reason = NULL, finished_at = NULL, next_attempt_at = NULL,
       outputs = NULL, inputs = NULL, ask = NULL, iteration = NULL
     WHERE run_id = ? AND id = ?`,
  );
  const updateRun = db.prepare(
    "UPDATE runs SET status = ?, reason = ?, updated_at = ? WHERE id = ?",
  );
  const readAll = db.prepare(
    "SELECT seq, at, payload FROM events WHERE run_id = @run ORDER BY seq",
  );
  const readUpToSeq = db.prepare(
    "SELECT seq, at, payload FROM events WHERE run_id = @run AND seq <= @bound ORDER BY seq",
  );
  const readUpToAt = db.prepare(
    "SELECT seq, at, payload FROM events WHERE run_id = @run AND at <= @bound ORDER BY seq",
  );
  const readAfter = db.prepare(
    "SELECT seq, at, payload FROM events WHERE run_id = @run AND seq > @after ORDER BY seq LIMIT 1000",
  );
  const readStaged = db
    .prepare("SELECT payload FROM staged INDEXED BY staged_by_run WHERE run_id = ? ORDER BY id")
    .pluck();
  const deleteStaged = db.prepare(
    "DELETE FROM staged WHERE run_id = ? AND node_id = ? AND attempt = ?",
  );
  const deleteAllStaged = db.prepare("DELETE FROM staged WHERE run_id = ?");

  interface Order {
    node: number | null;
    edge: number | null;
  }

  const project = (runId: string, at: string, event: RunEvent, seq: number, order: Order): void => {
    switch (event.type) {
      case "node_added":
        order.node ??= Number(nextNodeSeq.get(runId));
        nodes.add(
          runId,
          event.id,
          order.node++,
          event.run,
          JSON.stringify(event.args),
          JSON.stringify(event.params),
          event.created_by,
          "pending",
          seq,
          event.trigger ?? null,
        );
        return;
      case "edge_added":
        order.edge ??= Number(nextEdgeSeq.get(runId));
        edges.add(
          runId,
          event.from,
          event.to,
          event.created_by,
          order.edge++,
          seq,
          event.loop === true ? (event.max ?? DEFAULT_LOOP_MAX) : null,
        );
        return;
      case "node_status":
        flush();
        updateNodeStatus.run({
          ...event,
          next_attempt_at: event.next_attempt_at ?? null,
          iteration: event.iteration ?? null,
          run_id: runId,
          at,
        });
        return;
      case "attempt_started":
        insertAttempt.run({
          ...event,
          // The local executor's handle is the task's pid, which resume's cleanup reads.
          pid: event.handle !== null && /^\d+$/.test(event.handle) ? Number(event.handle) : null,
          run_id: runId,
          at,
        });
        return;
      case "attempt_ended":
        finishAttempt.run({ ...event, run_id: runId, at });
        return;
      case "output":
        flush();
        updateOutputs.run(JSON.stringify(event.values), runId, event.id);
        return;
      case "inputs":
        flush();
        updateInputs.run(JSON.stringify(event.values), runId, event.id);
        return;
      case "run_status":
        flush();
        updateRun.run(event.status, event.reason, at, runId);
        return;
      case "asked":
        flush();
        updateAsk.run(
          JSON.stringify({ prompt: event.prompt, schema: event.schema }),
          runId,
          event.id,
        );
        return;
      case "answered":
        flush();
        updateAsk.run(null, runId, event.id);
        return;
      case "nodes_reset":
        flush();
        for (const id of event.removed) {
          deleteEdgesOf.run({ run: runId, id });
          deleteNode.run(runId, id);
          // A node added again under the same id starts at attempt 1; the old ones stay in the events.
          deleteAttempts.run(runId, id);
        }
        for (const id of [...event.reset, ...event.removed]) deleteEdgesBy.run(runId, id);
        for (const id of event.reset) resetNode.run(runId, id);
        return;
      case "command":
      case "loop_again":
      case "promise_made":
      case "defaults":
      case "preload":
      case "shapes":
      case "attrs_set":
      case "run_params":
        return;
    }
  };

  /** Write events and their projections; the sequence number of the last one, if any. */
  const write = (runId: string, at: string, stream: Iterable<RunEvent>): number | null => {
    const order: Order = { node: null, edge: null };
    const first = Number(lastEventSeq.get() ?? 0) + 1;
    let seq = first;
    for (const event of stream) {
      const node = "id" in event ? event.id : null;
      events.add(seq, runId, at, event.type, node, JSON.stringify(event));
      project(runId, at, event, seq, order);
      seq += 1;
    }
    flush();
    return seq === first ? null : seq - 1;
  };

  const parse = (rows: unknown[]): StoredEvent[] =>
    rows.map((raw) => {
      const row = EventRowSchema.parse(raw);
      return { seq: row.seq, at: row.at, event: RunEventSchema.parse(JSON.parse(row.payload)) };
    });

  return {
    /** Append events to the run's history. */
    append: (runId: string, at: string, events: Iterable<RunEvent>): void => {
      write(runId, at, events);
    },
    /** Stage mutations of a running attempt: visible to readers, still provisional. */
    stage: (runId: string, attempt: AttemptKey, mutations: Iterable<MutationEvent>): void => {
      for (const event of mutations)
        staged.add(runId, attempt.node, attempt.attempt, JSON.stringify(event));
      staged.flush();
    },
    /**
     * An attempt succeeded: its staged rows go and `events` (its mutations,
     * then how it ended) join the history.
     */
    commitStaged: (
      runId: string,
      attempt: AttemptKey,
      at: string,
      events: Iterable<RunEvent>,
    ): void => {
      deleteStaged.run(runId, attempt.node, attempt.attempt);
      write(runId, at, events);
    },
    /** Delete what an attempt staged: it failed, or orch stopped while it ran. */
    discardStaged: (runId: string, attempt: AttemptKey): void => {
      deleteStaged.run(runId, attempt.node, attempt.attempt);
    },
    /** Delete what every attempt of the run staged (a run taken over after a crash). */
    discardAllStaged: (runId: string): void => {
      deleteAllStaged.run(runId);
    },
    /** The run's history: its committed events, up to `bound` if given. */
    read: (runId: string, bound?: HistoryBound): StoredEvent[] =>
      parse(
        bound === undefined
          ? readAll.all({ run: runId })
          : "seq" in bound
            ? readUpToSeq.all({ run: runId, bound: bound.seq })
            : readUpToAt.all({ run: runId, bound: bound.at }),
      ),
    /** Committed events after sequence number `after`, oldest first, at most 1,000. */
    readAfter: (runId: string, after: number): StoredEvent[] =>
      parse(readAfter.all({ run: runId, after })),
    /** Every running attempt's staged mutations, in the order they arrived. */
    readProvisional: (runId: string): MutationEvent[] =>
      readStaged
        .all(runId)
        .map((payload) => MutationEventSchema.parse(JSON.parse(String(payload)))),
  };
};

/** One attempt of one node. */
export interface AttemptKey {
  readonly node: string;
  readonly attempt: number;
}
