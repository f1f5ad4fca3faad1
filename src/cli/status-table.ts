import type { StatusDocument } from "../store/rows.js";
import { printable } from "../util/printable.js";

type DocumentNode = StatusDocument["nodes"][number];

/**
 * A node as the table reads it: a document from a newer store may say when a
 * `retrying` node's next attempt is due and what a `waiting` node asks.
 */
export interface TableNode extends Omit<DocumentNode, "status" | "next_attempt_at" | "trigger"> {
  readonly status: string;
  readonly trigger?: string | null | undefined;
  readonly next_attempt_at?: string | null | undefined;
  readonly ask?: { readonly prompt: string } | null | undefined;
}

export interface TableDocument {
  readonly run: StatusDocument["run"];
  readonly nodes: readonly TableNode[];
}

const notesOf = (node: TableNode): string[] => [
  ...(node.trigger ? [`trigger: ${node.trigger}`] : []),
  ...(node.status === "retrying" && node.next_attempt_at
    ? [`next attempt at ${node.next_attempt_at}`]
    : []),
  ...(node.status === "waiting" && node.ask ? [`asks: ${node.ask.prompt}`] : []),
  ...(node.provisional ? [`provisional until ${node.created_by} succeeds`] : []),
  ...(node.reason ? [node.reason] : []),
];

/**
 * The `orch status` table: the run, then one line per node and, for a node
 * tried more than once, one per attempt. Everything a task controls (ids,
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
    if (node.history.length > 1) {
      for (const a of node.history) {
        const end = a.reason ? `: ${printable(a.reason)}` : "";
        lines.push(`${" ".repeat(width)}    attempt ${a.attempt} ${a.status}${end}`);
      }
    }
  });
  return `${lines.join("\n")}\n`;
};
