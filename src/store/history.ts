import { z } from "zod";
import {
  EdgeAddedSchema,
  type MutationEvent,
  NodeAddedSchema,
  PromiseMadeSchema,
  type RunEvent,
  RunEventSchema,
} from "../state/events.js";
import type { Db } from "./db.js";
import { EventRowSchema, ProvisionalRowSchema } from "./rows.js";

const ProvisionalBatchSchema = z.array(
  z.discriminatedUnion("type", [NodeAddedSchema, EdgeAddedSchema, PromiseMadeSchema]),
);

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
 */
export const historyQueries = (db: Db) => {
  const insertEvent = db.prepare(
    "INSERT INTO events (run_id, at, type, node_id, payload) VALUES (?, ?, ?, ?, ?)",
  );
  const insertNode = db.prepare(
    `INSERT INTO nodes (run_id, id, seq, run, args, params, created_by, status)
     VALUES (@run_id, @id, @seq, @run, @args, @params, @created_by, 'pending')`,
  );
  const insertEdge = db.prepare(
    `INSERT INTO edges (run_id, from_id, to_id, created_by, seq)
     VALUES (?, ?, ?, ?, ?)`,
  );
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
  const readAll = db.prepare("SELECT seq, at, payload FROM events WHERE run_id = ? ORDER BY seq");
  const readUpToSeq = db.prepare(
    "SELECT seq, at, payload FROM events WHERE run_id = ? AND seq <= ? ORDER BY seq",
  );
  const readUpToAt = db.prepare(
    "SELECT seq, at, payload FROM events WHERE run_id = ? AND at <= ? ORDER BY seq",
  );
  const insertProvisional = db.prepare(
    "INSERT INTO provisional (run_id, node_id, attempt, seq, payload) VALUES (?, ?, ?, ?, ?)",
  );
  const readProvisional = db.prepare(
    "SELECT node_id, attempt, payload FROM provisional WHERE run_id = ? ORDER BY node_id, attempt, seq",
  );
  const clearProvisional = db.prepare("DELETE FROM provisional WHERE run_id = ?");

  interface Order {
    node: number | null;
    edge: number | null;
  }

  const project = (runId: string, at: string, event: RunEvent, order: Order): void => {
    switch (event.type) {
      case "node_added":
        order.node ??= Number(nextNodeSeq.get(runId));
        insertNode.run({
          run_id: runId,
          seq: order.node++,
          id: event.id,
          run: event.run,
          args: JSON.stringify(event.args),
          params: JSON.stringify(event.params),
          created_by: event.created_by,
        });
        return;
      case "edge_added":
        order.edge ??= Number(nextEdgeSeq.get(runId));
        insertEdge.run(runId, event.from, event.to, event.created_by, order.edge++);
        return;
      case "node_status":
        updateNodeStatus.run({ ...event, run_id: runId, at });
        return;
      case "output":
        updateOutputs.run(JSON.stringify(event.values), runId, event.id);
        return;
      case "run_status":
        updateRun.run(event.status, event.reason, at, runId);
        return;
      case "promise_made":
      case "defaults":
        return;
    }
  };

  const parseEvent = (payload: string): RunEvent => RunEventSchema.parse(JSON.parse(payload));

  return {
    append: (runId: string, at: string, events: Iterable<RunEvent>): void => {
      const order: Order = { node: null, edge: null };
      for (const event of events) {
        const node = "id" in event ? event.id : null;
        insertEvent.run(runId, at, event.type, node, JSON.stringify(event));
        project(runId, at, event, order);
      }
    },
    read: (runId: string, bound?: HistoryBound): StoredEvent[] => {
      const rows =
        bound === undefined
          ? readAll.all(runId)
          : "seq" in bound
            ? readUpToSeq.all(runId, bound.seq)
            : readUpToAt.all(runId, bound.at);
      return rows.map((raw) => {
        const row = EventRowSchema.parse(raw);
        return { seq: row.seq, at: row.at, event: parseEvent(row.payload) };
      });
    },
    /** Make a running task's mutations visible to readers, still provisional. */
    /**
     * Make a running task's mutations visible to readers, still provisional: one
     * row per batch (its events as a JSON array), `seq` numbering the batches.
     */
    stageProvisional: (
      runId: string,
      node: string,
      attempt: number,
      batch: number,
      events: readonly MutationEvent[],
    ): void => {
      insertProvisional.run(runId, node, attempt, batch, JSON.stringify(events));
    },
    readProvisional: (runId: string): MutationEvent[] =>
      readProvisional
        .all(runId)
        .flatMap((raw) =>
          ProvisionalBatchSchema.parse(JSON.parse(ProvisionalRowSchema.parse(raw).payload)),
        ),
    clearProvisional: (runId: string): void => {
      clearProvisional.run(runId);
    },
  };
};
