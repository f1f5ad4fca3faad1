import { type MutationEvent, type RunEvent, RunEventSchema } from "../state/events.js";
import type { Db } from "./db.js";
import { EventRowSchema, ProvisionalRowSchema } from "./rows.js";

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
     VALUES (@run_id, @id, (SELECT COALESCE(MAX(seq), -1) + 1 FROM nodes WHERE run_id = @run_id), @run, @args, @params, @created_by, 'pending')`,
  );
  const insertEdge = db.prepare(
    `INSERT INTO edges (run_id, from_id, to_id, created_by, seq)
     VALUES (?, ?, ?, ?, (SELECT COALESCE(MAX(seq), -1) + 1 FROM edges WHERE run_id = ?))`,
  );
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

  const project = (runId: string, at: string, event: RunEvent): void => {
    switch (event.type) {
      case "node_added":
        insertNode.run({
          run_id: runId,
          id: event.id,
          run: event.run,
          args: JSON.stringify(event.args),
          params: JSON.stringify(event.params),
          created_by: event.created_by,
        });
        return;
      case "edge_added":
        insertEdge.run(runId, event.from, event.to, event.created_by, runId);
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
      for (const event of events) {
        const node = "id" in event ? event.id : null;
        insertEvent.run(runId, at, event.type, node, JSON.stringify(event));
        project(runId, at, event);
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
    stageProvisional: (
      runId: string,
      node: string,
      attempt: number,
      firstSeq: number,
      events: readonly MutationEvent[],
    ): void => {
      events.forEach((event, i) => {
        insertProvisional.run(runId, node, attempt, firstSeq + i, JSON.stringify(event));
      });
    },
    readProvisional: (runId: string): MutationEvent[] =>
      readProvisional.all(runId).map((raw) => {
        const event = parseEvent(ProvisionalRowSchema.parse(raw).payload);
        if (
          event.type !== "node_added" &&
          event.type !== "edge_added" &&
          event.type !== "promise_made"
        ) {
          throw new Error(`provisional row holds a ${event.type} event`);
        }
        return event;
      }),
    clearProvisional: (runId: string): void => {
      clearProvisional.run(runId);
    },
  };
};
