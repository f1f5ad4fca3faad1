import type {
  Alternative,
  CountRange,
  EdgeAdditions,
  Grows,
  NodeAdditions,
  Slot,
  StateCounts,
  WildcardHistory,
  WildcardRules,
} from "./model.js";

/** `80 succeeded, 2 running, 38 pending`: the most finished first, as a progress bar reads. */
export const statesText = (states: StateCounts): string =>
  Object.entries(states)
    .reverse()
    .map(([state, n]) => `${n} ${state}`)
    .join(", ");

/** `×0..∞`, `≤3`, `×2`, `×1..∞`; empty for exactly one. */
export const countText = (min: number, max: number | null): string => {
  if (max === null) return `×${min}..∞`;
  if (min === max) return min === 1 ? "" : `×${min}`;
  if (min === 0) return `≤${max}`;
  return `×${min}..${max}`;
};

const withCount = (text: string, count: string): string =>
  count === "" ? text : `${text} ${count}`;

/** `last 20 runs` or `14 of last 20 runs`. */
const runsText = (runs: number, of: number): string => {
  const last = of === 1 ? "last run" : `last ${of} runs`;
  return runs === of ? last : `${runs} of ${last}`;
};

const rangeText = (range: CountRange): string =>
  range.min === range.max
    ? `${range.min}`
    : `${range.min}–${range.max}, median ${Number(range.median.toFixed(1))}`;

/** ` — last 20 runs: 0–6, median 3`: what earlier runs did, after a count. */
export const historyText = (runs: number, of: number, range: CountRange): string =>
  ` — ${runsText(runs, of)}: ${rangeText(range)}`;

/**
 * `M-* (m.py) ×0..∞`, and what each grows into: `, each adds N-* (n.py) ×0..∞`;
 * with earlier runs (`of` of them, `runs` ending as its option), their counts.
 */
export const slotText = (slot: Slot, past?: { runs: number; of: number }): string => {
  const text =
    withCount(`${slot.id} (${slot.run})`, countText(slot.min, slot.max)) + growsText(slot.grows);
  if (past === undefined || slot.history === undefined || slot.count === "1") return text;
  return text + historyText(past.runs, past.of, slot.history);
};

const templateCount = (count: string): string =>
  count === "*" ? " ×0..∞" : count === "+" ? " ×1..∞" : count === "?" ? " ≤1" : "";

/** What each instance grows into, in a line; a recursive shape by its name. */
export const growsText = (grows: Grows | undefined): string => {
  if (grows === undefined) return "";
  const options = grows.one_of.map((t) => {
    const slots = t.nodes.map((s) => {
      const again = s.grows_ref === null ? "" : `, each again shape "${s.grows_ref}"`;
      return `${s.id} (${s.run})${templateCount(s.count)}${again}`;
    });
    return slots.length === 0 ? "nothing" : slots.join(" + ");
  });
  const what = options.length === 1 ? options[0]! : `one of: ${options.join(" | ")}`;
  const named = grows.ref === null ? "" : ` (shape "${grows.ref}")`;
  return `, each adds ${what}${named}`;
};

const globsText = (ids: readonly (readonly string[])[]): string => {
  if (ids.length === 0) return "*";
  if (ids.length === 1) return ids[0]!.join(" | ");
  return ids.map((list) => (list.length === 1 ? list[0] : `(${list.join(" | ")})`)).join(" & ");
};

/** What nodes may be added, or null when none may. */
export const nodesText = (nodes: NodeAdditions): string | null => {
  if (nodes === false) return null;
  if (nodes.ids.length === 0 && nodes.run === null && nodes.max === null) return "*";
  const run = nodes.run === null ? "" : ` (${nodes.run.join(" | ")})`;
  return withCount(`${globsText(nodes.ids)}${run}`, countText(0, nodes.max));
};

export const edgesText = (edges: EdgeAdditions): string[] => {
  if (edges === false) return ["no new edges"];
  const lines = edges.match.map(
    (list) => `edges: ${list.patterns.map((p) => `${p.from} → ${p.to}`).join(", ")}`,
  );
  if (edges.no_edges_from.length > 0) lines.push(`no edges from ${edges.no_edges_from.join(", ")}`);
  if (edges.no_edges_to.length > 0) lines.push(`no edges into ${edges.no_edges_to.join(", ")}`);
  return lines;
};

/** One alternative in a line: the slots that still take nodes, or what edges it still needs. */
export const alternativeText = (alt: Alternative, pastRuns?: number): string => {
  const past =
    pastRuns === undefined || alt.history === undefined
      ? undefined
      : { runs: alt.history.runs, of: pastRuns };
  const slots = alt.nodes.filter((slot) => slot.max !== 0).map((slot) => slotText(slot, past));
  if (slots.length > 0) return slots.join(", ");
  const missing = alt.edges.reduce((n, edge) => n + edge.missing.length, 0);
  return missing > 0 ? `${missing} more edge(s)` : "nothing more";
};

/** `option 1: 14 of 20 runs`: how many earlier runs ended as this option. */
export const optionText = (position: number, alt: Alternative, pastRuns?: number): string =>
  pastRuns === undefined || alt.history === undefined
    ? `option ${position}`
    : `option ${position}: ${alt.history.runs} of ${pastRuns} runs`;

export const wildcardLabel = (
  rules: WildcardRules,
  alternatives: readonly Alternative[] | undefined,
  history?: WildcardHistory,
): string => {
  const runs = history?.runs;
  if (alternatives) {
    if (alternatives.length === 1) return alternativeText(alternatives[0]!, runs);
    const options = alternatives.map((alt, i) => {
      const share = optionText(i + 1, alt, runs);
      return runs === undefined ? alternativeText(alt) : `${alternativeText(alt, runs)} (${share})`;
    });
    return `one of: ${options.join(" | ")}`;
  }
  const nodes = nodesText(rules.nodes);
  const edges = nodes === "*" && isOpen(rules.edges) ? [] : edgesText(rules.edges);
  const past = history === undefined ? "" : historyText(history.runs, history.runs, history.added);
  return [(nodes ?? "no new nodes") + past, ...edges].join("\n");
};

const isOpen = (edges: EdgeAdditions): boolean =>
  edges !== false &&
  edges.match.length === 0 &&
  edges.no_edges_from.length === 0 &&
  edges.no_edges_to.length === 0;
