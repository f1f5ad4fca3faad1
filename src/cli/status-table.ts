import { z } from "zod";
import { settledWithoutRunning } from "../graph/trigger.js";
import type { StatusDocument } from "../store/rows.js";
import { printable } from "../util/printable.js";

type DocumentNode = StatusDocument["nodes"][number];

/**
 * A node as the table reads it: a document from a newer store may say when a
 * `retrying` node's next attempt is due and what a `waiting` node asks.
 */
export interface TableNode
  extends Omit<DocumentNode, "status" | "next_attempt_at" | "ask" | "trigger" | "iteration"> {
  readonly status: string;
  readonly iteration?: number | null | undefined;
  readonly trigger?: string | null | undefined;
  readonly next_attempt_at?: string | null | undefined;
  /** `{prompt, schema}` on a `waiting` node. */
  readonly ask?: unknown;
}

export interface TableDocument {
  readonly run: StatusDocument["run"];
  readonly nodes: readonly TableNode[];
}

const AskSchema = z.object({ prompt: z.string() });

/** What a waiting node asks, or null. */
const promptOf = (node: TableNode): string | null => {
  const ask = AskSchema.safeParse(node.ask);
  return ask.success ? ask.data.prompt : null;
};

const notesOf = (node: TableNode): string[] => [
  ...(node.iteration ? [`iteration ${node.iteration}`] : []),
  ...(node.trigger ? [`trigger: ${node.trigger}`] : []),
  ...(node.status === "retrying" && node.next_attempt_at
    ? [`next attempt at ${node.next_attempt_at}`]
    : []),
  ...(node.status === "waiting" && promptOf(node) !== null ? [`asks: ${promptOf(node)}`] : []),
  ...(node.provisional ? [`provisional until ${node.created_by} succeeds`] : []),
  ...(node.reason ? [node.reason] : []),
];

/** A node's attempts get a line each when its status alone does not tell how they went. */
const showsAttempts = (node: TableNode): boolean =>
  node.history.length > 1 || (node.history.length === 1 && settledWithoutRunning(node.status));

/**
 * The `orch status` table: the run, then one line per node and, for a node
 * tried more than once or skipped or blocked after an attempt, one per attempt. Everything a task controls (ids,
 * reasons, prompts) is escaped.
 */
export const statusTable = (doc: TableDocument): string => {
  const lines = [
    `run ${printable(doc.run.id)}  ${printable(doc.run.name)}  ${doc.run.status}  (parallel ${doc.run.parallel})`,
  ];
  if (doc.run.reason) lines.push(`reason: ${printable(doc.run.reason)}`);
  const ids = doc.nodes.map((n) => printable(n.id));
  const width = ids.reduce((w, id) => Math.max(w, id.length), 4);
  lines.push(`${"NODE".padEnd(width)}  ${"STATUS".padEnd(9)}  ATTEMPTS  CREATED BY`);
  doc.nodes.forEach((node, i) => {
    const createdBy = node.created_by === null ? "-" : printable(node.created_by);
    const line = `${ids[i]!.padEnd(width)}  ${node.status.padEnd(9)}  ${String(node.attempts).padEnd(8)}  ${createdBy}`;
    const notes = notesOf(node);
    lines.push(notes.length > 0 ? `${line}  (${printable(notes.join("; "))})` : line);
    if (showsAttempts(node)) {
      for (const a of node.history) {
        const end = a.reason ? `: ${printable(a.reason)}` : "";
        lines.push(`${" ".repeat(width)}    attempt ${a.attempt} ${a.status}${end}`);
      }
    }
  });
  for (const node of doc.nodes) {
    if (node.status === "waiting" && promptOf(node) !== null)
      lines.push(
        `answer ${printable(node.id)} with: orch answer ${shellQuoted(doc.run.id)} ${shellQuoted(node.id)} --json '…'`,
      );
  }
  return `${lines.join("\n")}\n`;
};

/** `word` as a shell reads it back: quoted unless it is plain. */
const shellQuoted = (word: string): string =>
  /^[A-Za-z0-9._:/-]+$/.test(word) ? word : `'${printable(word).replaceAll("'", "'\\''")}'`;
