import {
  type Color,
  Digraph,
  type EdgeAttributesObject,
  type NodeAttributesObject,
  type NodeModel,
  toDot as printDot,
  type Style,
  type SubgraphModel,
} from "ts-graphviz";
import { alternativeText, optionText, slotText, statesText } from "../envelope/label.js";
import type {
  Alternative,
  Envelope,
  EnvelopeEdge,
  EnvelopeMeta,
  EnvelopeNode,
  Slot,
  TemplateEnd,
  Wildcard,
} from "../envelope/model.js";
import { idPattern } from "../envelope/stack.js";
import { DEFAULT_LOOP_MAX, type NodeStatus } from "../graph/graph.js";
import { NODE_ID_PATTERN } from "../graph/ids.js";
import type { Trigger } from "../graph/trigger.js";
import { paintEdge, paintNode } from "./attrs.js";
import { reducedTargets } from "./reduce.js";
import {
  broken,
  EDGE_COLOR,
  escString,
  FONT,
  html,
  LOOP_COLOR,
  legendRows,
  MUTED,
  STATUS_STYLE,
  WILDCARD_STYLE,
} from "./style.js";

/**
 * The envelope as Graphviz DOT, built as a ts-graphviz model so that any id or
 * label is quoted and escaped by the library, never by string concatenation.
 * Node ids that are not plain orch ids get synthetic DOT ids; their text only
 * ever appears inside escaped labels.
 */
export function toDot(envelope: Envelope, meta: EnvelopeMeta): string {
  // The model is ours, not parsed input: the AST-size guard (100,000 by default,
  // about a 10,000-node run drawn with --expand) protects nothing here.
  return printDot(buildDigraph(envelope, meta), { convert: { maxASTNodes: 0 } });
}

type HtmlLabel = `<${string}>`;
/** Where nodes and edges are created: the graph or one of its clusters. */
type Where = Digraph | SubgraphModel;
const label = (inner: string): HtmlLabel => `<${inner}>`;

/** Wildcard keys built from orch ids: `*A`, `*A#2`, `*A/0/1` (slot 1 of option 0). */
const WILDCARD_KEY = /^\*[A-Za-z0-9._:-]+(#\d+)?(\/\d+)*$/;

/**
 * Stable DOT ids: orch ids and wildcard keys as they are (orch ids never
 * contain `*` or `#`, so the two never meet), anything else `node#N`/`wild#N`.
 */
class DotIds {
  readonly #ids = new Map<string, string>();

  of(kind: "node" | "wild", raw: string): string {
    const key = `${kind}\u0000${raw}`;
    let id = this.#ids.get(key);
    if (id === undefined) {
      const plain = kind === "node" ? NODE_ID_PATTERN.test(raw) : WILDCARD_KEY.test(raw);
      id = plain ? raw : `${kind}#${this.#ids.size}`;
      this.#ids.set(key, id);
    }
    return id;
  }
}

interface Drawing {
  readonly g: Digraph;
  readonly ids: DotIds;
  /** Drawn things by key: `n` + a node id, `w` + a wildcard key. */
  readonly nodes: Map<string, NodeModel>;
  /** Member id → the drawn node it is in. */
  readonly drawnOf: ReadonlyMap<string, string>;
  /** Edges drawn so far, so alternatives sharing an implied edge draw it once. */
  readonly edges: Set<string>;
}

const buildDigraph = (envelope: Envelope, meta: EnvelopeMeta): Digraph => {
  const g = new Digraph("orch", {
    rankdir: "LR",
    fontname: FONT,
    bgcolor: "white",
    nodesep: 0.3,
    ranksep: 0.55,
    pad: 0.3,
    labelloc: "t",
    labeljust: "l",
    label: graphLabel(envelope, meta),
  });
  g.attributes.node.apply({ fontname: FONT, fontsize: 11, margin: "0.2,0.08" });
  g.attributes.edge.apply({ fontname: FONT, fontsize: 9, color: EDGE_COLOR, arrowsize: 0.7 });
  const drawnOf = new Map<string, string>();
  for (const node of envelope.nodes) for (const m of node.members) drawnOf.set(m, node.id);
  const d: Drawing = { g, ids: new DotIds(), nodes: new Map(), drawnOf, edges: new Set() };
  for (const node of envelope.nodes) drawNode(d, node);
  const triggers = new Map(envelope.nodes.map((node) => [node.id, node.trigger]));
  for (const edge of envelope.edges) {
    if (edge.loop) {
      drawLoop(d, edge);
      continue;
    }
    const trigger = triggers.get(edge.to);
    const style = trigger ? TRIGGER_EDGE_STYLE[trigger] : edge.provisional ? "dashed" : "solid";
    const attrs = paintEdge(edge, { style, penwidth: edge.count > 1 ? 1.6 : 1 });
    connect(d, d.g, nodeKey(edge.from), nodeKey(edge.to), attrs);
  }
  if (envelope.note !== null) {
    drawNote(d, envelope.note);
    return g;
  }
  const reachable = reducedTargets(envelope);
  envelope.wildcards.forEach((w) => {
    drawWildcard(d, w, reachable(w));
  });
  for (const w of envelope.wildcards) linkWildcards(d, w);
  return g;
};

/** What a loop edge says: it goes back, at most `max` times in all (`↻ ≤10`). */
export const loopLabel = (edge: EnvelopeEdge): string => `↻ ≤${edge.max ?? DEFAULT_LOOP_MAX}`;

/**
 * A loop edge, drawn back from its source to the body's first node, labelled
 * with its bound. It takes no part in ranking (`constraint=false`): the
 * ordinary edges alone lay the graph out left to right.
 */
const drawLoop = (d: Drawing, edge: EnvelopeEdge): void => {
  const text = loopLabel(edge);
  const times = edge.count > 1 ? ` (×${edge.count})` : "";
  const attrs: EdgeAttributesObject = {
    constraint: false,
    style: edge.provisional ? "dashed" : "bold",
    color: LOOP_COLOR,
    fontcolor: LOOP_COLOR,
    penwidth: 1.3,
    label: label(`<b>${html(text)}</b>${html(times)}`),
    tooltip: escString(
      `loop ${edge.from} -> ${edge.to}${times}: the body runs again while ${edge.from} asks, at most ${edge.max ?? DEFAULT_LOOP_MAX} times`,
    ),
  };
  connect(d, d.g, nodeKey(edge.from), nodeKey(edge.to), paintEdge(edge, attrs));
};

/** A run without promises: one note for every node's open future. */
const drawNote = (d: Drawing, note: string): void => {
  d.g.createNode("orch_note", {
    shape: "note",
    style: "dashed,filled",
    fillcolor: WILDCARD_STYLE.fill,
    color: WILDCARD_STYLE.line,
    fontcolor: WILDCARD_STYLE.text,
    label: label(`<font point-size="20"><b>*</b></font><br/>${wrapped(note, 48)}`),
    tooltip: escString(note),
  });
};

/** `text` escaped for an HTML label, broken into lines of about `width` characters at spaces. */
const wrapped = (text: string, width: number): string => {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  lines.push(line);
  return lines.map(html).join("<br/>");
};

const graphLabel = (envelope: Envelope, meta: EnvelopeMeta): HtmlLabel => {
  const nodes = envelope.nodes.reduce((n, node) => n + node.count, 0);
  const future =
    envelope.wildcards.length === 0
      ? "no wildcard: the graph will not change"
      : `${envelope.wildcards.length} wildcard(s): what may still be added`;
  const summary = `${nodes} node(s) · ${future}`;
  return label(
    `<table border="0" cellborder="1" cellspacing="3" cellpadding="2">` +
      `<tr><td colspan="9" border="0" align="left"><font point-size="16"><b>${html(meta.title)}</b></font></td></tr>` +
      `<tr><td colspan="9" border="0" align="left"><font point-size="10" color="${MUTED}">${html(summary)}</font></td></tr>` +
      `${legendRows()}</table>`,
  );
};

/** How the edges into a node with a non-default trigger are drawn. */
const TRIGGER_EDGE_STYLE: Readonly<Record<Trigger, Style>> = {
  all_succeeded: "solid",
  all_done: "dotted",
  any_failed: "dashed",
  all_failed: "dashed",
};

const nodeText = (node: EnvelopeNode): string => {
  const trigger =
    node.trigger === undefined
      ? ""
      : `<br/><font point-size="9" color="${MUTED}">trigger: ${html(node.trigger)}</font>`;
  const script = `<font point-size="9" color="${MUTED}">${html(broken(node.script, 32))}</font>${trigger}`;
  if (node.count === 1) return `<b>${html(broken(node.id))}</b><br/>${script}`;
  const pattern = `<b>${html(broken(`${idPattern(node.members)} ×${node.count}`))}</b>`;
  return `${pattern}<br/><font point-size="9">${html(statesText(node.states))}</font><br/>${script}`;
};

/** A stack whose members are in several states is striped, each state's share in its colour. */
const fill = (node: EnvelopeNode): Pick<NodeAttributesObject, "fillcolor" | "style"> => {
  const states = Object.entries(node.states) as [NodeStatus, number][];
  const dashed = node.provisional ? ",dashed" : "";
  if (states.length <= 1) {
    return { fillcolor: STATUS_STYLE[node.status].fill, style: `rounded,filled${dashed}` as Style };
  }
  const stripes = [...states]
    .reverse()
    .map(([state, n]) => `${STATUS_STYLE[state].fill};${(n / node.count).toFixed(3)}`)
    .join(":");
  return { fillcolor: stripes as Color, style: `striped${dashed}` as Style };
};

const drawNode = (d: Drawing, node: EnvelopeNode): void => {
  const s = STATUS_STYLE[node.status];
  const members =
    node.count === 1
      ? ""
      : ` (${node.members[0]} … ${node.members.at(-1)}): ${statesText(node.states)}`;
  const attrs: NodeAttributesObject = {
    shape: "box",
    ...fill(node),
    color: s.line,
    fontcolor: s.text,
    penwidth: node.status === "running" ? 2 : 1.2,
    label: label(nodeText(node)),
    tooltip: escString(
      `${node.id}${members}: ${node.status}${node.provisional ? " (provisional)" : ""}`,
    ),
    ...(node.count > 1 ? { peripheries: 2 } : {}),
  };
  const drawn = paintNode(node, attrs, nodeText(node));
  d.nodes.set(nodeKey(node.id), d.g.createNode(d.ids.of("node", node.id), drawn));
};

const connect = (
  d: Drawing,
  where: Where,
  from: string,
  to: string,
  attrs: EdgeAttributesObject,
): void => {
  const a = d.nodes.get(from);
  const b = d.nodes.get(to);
  const key = `${from}\u0000${to}\u0000${attrs.style ?? ""}`;
  if (!a || !b || d.edges.has(key)) return;
  d.edges.add(key);
  where.createEdge([a, b], attrs);
};

const nodeKey = (id: string): string => `n${id}`;
const wildKey = (key: string): string => `w${key}`;

const FUTURE_EDGE: EdgeAttributesObject = {
  style: "dashed",
  color: WILDCARD_STYLE.line,
  penwidth: 1.1,
};
const HANG_EDGE: EdgeAttributesObject = {
  style: "dotted",
  color: WILDCARD_STYLE.line,
  arrowhead: "none",
};

const wildcardNode = (
  d: Drawing,
  where: Where,
  key: string,
  text: string,
  tip: string,
): NodeModel => {
  const node = where.createNode(d.ids.of("wild", key), {
    shape: "hexagon",
    style: "dashed,filled",
    fillcolor: WILDCARD_STYLE.fill,
    color: WILDCARD_STYLE.line,
    fontcolor: WILDCARD_STYLE.text,
    label: label(text),
    tooltip: escString(tip),
  });
  d.nodes.set(wildKey(key), node);
  return node;
};

const drawWildcard = (d: Drawing, w: Wildcard, targets: readonly string[]): void => {
  if (w.alternatives && w.alternatives.length > 0) {
    drawAlternatives(d, w, w.alternatives);
    return;
  }
  const what = w.label === "*" ? '<font point-size="20"><b>*</b></font>' : html(w.label);
  const text = `<font point-size="8">${html(w.from)} may add</font><br/>${what}`;
  wildcardNode(d, d.g, w.id, text, `${w.id}: ${w.label}`);
  connect(d, d.g, nodeKey(w.from), wildKey(w.id), HANG_EDGE);
  for (const t of targets) connect(d, d.g, wildKey(w.id), nodeKey(t), FUTURE_EDGE);
};

/** Edge-only wildcards say where their edges may go: into what other wildcards add. */
const linkWildcards = (d: Drawing, w: Wildcard): void => {
  if (w.rules.nodes !== false || w.alternatives) return;
  for (const other of w.may_precede_wildcards) {
    connect(d, d.g, wildKey(w.id), wildKey(other), { ...FUTURE_EDGE, constraint: false });
  }
};

const slotKey = (w: Wildcard, alt: Alternative, slot: number): string =>
  `${w.id}/${alt.index}/${slot}`;

const clusterStyle = (text: string) =>
  ({
    label: label(`<font point-size="9">${html(text)}</font>`),
    style: "dashed,rounded",
    color: WILDCARD_STYLE.line,
    fontcolor: WILDCARD_STYLE.text,
  }) as const;

/** One option: drawn in place. Several: a dashed cluster of dashed clusters, one per option. */
const drawAlternatives = (d: Drawing, w: Wildcard, alts: readonly Alternative[]): void => {
  if (alts.length === 1) {
    drawAlternative(d, w, alts[0]!, d.g, `${w.from} may add`);
    return;
  }
  const outer = d.g.createSubgraph(
    `cluster_${d.ids.of("wild", w.id)}`,
    clusterStyle(`${w.from} adds one of`),
  );
  alts.forEach((alt, i) => {
    const key = `${w.id}/${alt.index}`;
    const box = outer.createSubgraph(
      `cluster_${d.ids.of("wild", key)}`,
      clusterStyle(optionText(i + 1, alt, w.history?.runs)),
    );
    drawAlternative(d, w, alt, box, null);
  });
};

const drawAlternative = (
  d: Drawing,
  w: Wildcard,
  alt: Alternative,
  box: Where,
  caption: string | null,
): void => {
  const above = caption === null ? "" : `<font point-size="8">${html(caption)}</font><br/>`;
  const open = alt.nodes.flatMap((slot, i) => (slot.max !== 0 ? [i] : []));
  const past =
    w.history === undefined || alt.history === undefined
      ? undefined
      : { runs: alt.history.runs, of: w.history.runs };
  for (const i of open) {
    const slot = alt.nodes[i]!;
    const text = above + html(slotText(slot, past));
    wildcardNode(d, box, slotKey(w, alt, i), text, `${w.id}: ${slotTip(slot)}`);
  }
  if (open.length === 0) {
    const key = `${w.id}/${alt.index}`;
    wildcardNode(d, box, key, html(alternativeText(alt)), `${w.id}: ${alternativeText(alt)}`);
    connect(d, d.g, nodeKey(w.from), wildKey(key), HANG_EDGE);
  }
  const entered = new Set(alt.edges.flatMap((edge) => drawTemplateEdge(d, w, alt, edge)));
  for (const i of open) {
    if (!entered.has(i)) connect(d, d.g, nodeKey(w.from), wildKey(slotKey(w, alt, i)), HANG_EDGE);
  }
};

/**
 * A template edge: from or into the slot's future instances (its hexagon),
 * plus the implied edges between existing nodes still missing. Returns the
 * open slot it leads into, if any.
 */
const drawTemplateEdge = (
  d: Drawing,
  w: Wildcard,
  alt: Alternative,
  edge: Alternative["edges"][number],
): number[] => {
  const open = (end: TemplateEnd): string | null =>
    "slot" in end && alt.nodes[end.slot]!.max !== 0 ? wildKey(slotKey(w, alt, end.slot)) : null;
  const existing = (end: TemplateEnd): string[] => {
    const ids = "node" in end ? [end.node] : alt.nodes[end.slot]!.instances;
    return [...new Set(ids.map((id) => nodeKey(d.drawnOf.get(id) ?? id)))];
  };
  const from = open(edge.from);
  const to = open(edge.to);
  const froms = [...(from ? [from] : []), ...existing(edge.from)];
  const tos = [...(to ? [to] : []), ...existing(edge.to)];
  for (const f of froms) {
    for (const t of tos) if (f === from || t === to) connect(d, d.g, f, t, FUTURE_EDGE);
  }
  for (const [f, t] of edge.missing) {
    connect(d, d.g, nodeKey(d.drawnOf.get(f) ?? f), nodeKey(d.drawnOf.get(t) ?? t), FUTURE_EDGE);
  }
  return to !== null && "slot" in edge.to ? [edge.to.slot] : [];
};

const slotTip = (slot: Slot): string => {
  const more =
    slot.max === null
      ? `${slot.min} or more`
      : slot.min === slot.max
        ? `${slot.min}`
        : `${slot.min} to ${slot.max}`;
  return `${slot.id} (run ${slot.run}, count "${slot.count}"): ${slot.instances.length} added, ${more} to come`;
};
