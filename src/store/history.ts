import type { z } from "zod";
import {
  type MutationEvent,
  MutationEventSchema,
  type RunEvent,
  RunEventSchema,
} from "../state/events.js";
import { BulkInsert } from "./bulk-insert.js";
import { COMMIT_MARK } from "./commit-mark.js";
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
 * The append-only event table and the projections (nodes, edges, run status)
 * kept beside it. Every event is written here and nowhere else, so history and
 * projections cannot drift apart; callers wrap related appends in one transaction.
 *
 * Each run has a commit mark: the events at or below it are its history. A
 * running task's mutations are staged as they arrive, events and projection
 * rows both, above the mark, where readers see them as provisional; the next
 * `append` moves the mark over them (the task succeeded) unless
 * `discardStaged` deletes them first (it failed). So a commit costs the same
 * whether the task added one node or a hundred thousand. A run executes one
 * attempt at a time, so nothing else is appended while mutations are staged.
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
  ]);
  const edges = new BulkInsert(db, "edges", [
    "run_id",
    "from_id",
    "to_id",
    "created_by",
    "seq",
    "event_seq",
  ]);
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
       finished_at = CASE WHEN @status IN ('succeeded','failed','blocked','cancelled') THEN @at ELSE NULL END
     WHERE run_id = @run_id AND id = @id`,
  );
  const updateOutputs = db.prepare("UPDATE nodes SET outputs = ? WHERE run_id = ? AND id = ?");
  const updateRun = db.prepare(
    "UPDATE runs SET status = ?, reason = ?, updated_at = ? WHERE id = ?",
  );
  const setMark = db.prepare("UPDATE runs SET committed_seq = ? WHERE id = ?");
  const readAll = db.prepare(
    `SELECT seq, at, payload FROM events WHERE run_id = @run AND seq <= ${COMMIT_MARK} ORDER BY seq`,
  );
  const readUpToSeq = db.prepare(
    `SELECT seq, at, payload FROM events WHERE run_id = @run AND seq <= MIN(@bound, ${COMMIT_MARK}) ORDER BY seq`,
  );
  const readUpToAt = db.prepare(
    `SELECT seq, at, payload FROM events WHERE run_id = @run AND seq <= ${COMMIT_MARK} AND at <= @bound ORDER BY seq`,
  );
  const readAfter = db.prepare(
    `SELECT seq, at, payload FROM events WHERE run_id = @run AND seq > @after AND seq <= ${COMMIT_MARK} ORDER BY seq LIMIT 1000`,
  );
  const readStaged = db.prepare(
    `SELECT seq, at, payload FROM events WHERE run_id = @run AND seq > ${COMMIT_MARK} ORDER BY seq`,
  );
  const deleteStaged = [
    db.prepare(`DELETE FROM events WHERE run_id = @run AND seq > ${COMMIT_MARK}`),
    db.prepare(`DELETE FROM nodes WHERE run_id = @run AND event_seq > ${COMMIT_MARK}`),
    db.prepare(`DELETE FROM edges WHERE run_id = @run AND event_seq > ${COMMIT_MARK}`),
  ];

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
        );
        return;
      case "edge_added":
        order.edge ??= Number(nextEdgeSeq.get(runId));
        edges.add(runId, event.from, event.to, event.created_by, order.edge++, seq);
        return;
      case "node_status":
        flush();
        updateNodeStatus.run({ ...event, run_id: runId, at });
        return;
      case "output":
        flush();
        updateOutputs.run(JSON.stringify(event.values), runId, event.id);
        return;
      case "run_status":
        flush();
        updateRun.run(event.status, event.reason, at, runId);
        return;
      case "promise_made":
      case "defaults":
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

  const parse = <T>(rows: unknown[], schema: z.ZodType<T>) =>
    rows.map((raw) => {
      const row = EventRowSchema.parse(raw);
      return { seq: row.seq, at: row.at, event: schema.parse(JSON.parse(row.payload)) };
    });

  return {
    /** Append events to the run's history, committing everything staged before them. */
    append: (runId: string, at: string, events: Iterable<RunEvent>): void => {
      const last = write(runId, at, events);
      if (last !== null) setMark.run(last, runId);
    },
    /** Stage a running task's mutations: visible to readers, still provisional. */
    stage: (runId: string, at: string, events: Iterable<MutationEvent>): void => {
      write(runId, at, events);
    },
    /** Delete what is staged: the task that made it failed, or orch stopped while it ran. */
    discardStaged: (runId: string): void => {
      for (const statement of deleteStaged) statement.run({ run: runId });
    },
    /** The run's history: its committed events, up to `bound` if given. */
    read: (runId: string, bound?: HistoryBound): StoredEvent[] =>
      parse(
        bound === undefined
          ? readAll.all({ run: runId })
          : "seq" in bound
            ? readUpToSeq.all({ run: runId, bound: bound.seq })
            : readUpToAt.all({ run: runId, bound: bound.at }),
        RunEventSchema,
      ),
    /** Committed events after sequence number `after`, oldest first, at most 1,000. */
    readAfter: (runId: string, after: number): StoredEvent[] =>
      parse(readAfter.all({ run: runId, after }), RunEventSchema),
    /** The running task's staged mutations, in order. */
    readProvisional: (runId: string): MutationEvent[] =>
      parse(readStaged.all({ run: runId }), MutationEventSchema).map((e) => e.event),
  };
};
