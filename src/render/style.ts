import type { Color } from "ts-graphviz";
import type { NodeStatus } from "../graph/graph.js";
import { printable } from "../util/printable.js";

/** The look of `orch graph`: one palette, used by the nodes and the legend alike. */

export interface Swatch {
  readonly fill: Color.RGB_RGBA;
  readonly line: Color.RGB_RGBA;
  readonly text: Color.RGB_RGBA;
}

export const STATUS_STYLE: Readonly<Record<NodeStatus, Swatch>> = {
  pending: { fill: "#f8fafc", line: "#94a3b8", text: "#334155" },
  running: { fill: "#dbeafe", line: "#2563eb", text: "#1e3a8a" },
  retrying: { fill: "#fef9c3", line: "#ca8a04", text: "#713f12" },
  waiting: { fill: "#e0f2fe", line: "#0284c7", text: "#0c4a6e" },
  succeeded: { fill: "#dcfce7", line: "#16a34a", text: "#14532d" },
  failed: { fill: "#fee2e2", line: "#dc2626", text: "#7f1d1d" },
  blocked: { fill: "#ffedd5", line: "#ea580c", text: "#7c2d12" },
  skipped: { fill: "#f8fafc", line: "#cbd5e1", text: "#94a3b8" },
  cancelled: { fill: "#f1f5f9", line: "#64748b", text: "#64748b" },
};

export const WILDCARD_STYLE: Swatch = { fill: "#faf5ff", line: "#7c3aed", text: "#5b21b6" };

export const EDGE_COLOR: Color.RGB_RGBA = "#475569";
/** Loop edges: drawn back, in their own colour. */
export const LOOP_COLOR: Color.RGB_RGBA = "#0f766e";
export const MUTED: Color.RGB_RGBA = "#64748b";
export const FONT = "Helvetica,Arial,sans-serif";

/** Escapes text for a Graphviz HTML-like label; a newline becomes a line break. */
export const html = (text: string): string =>
  text
    .split(/\r?\n/)
    .map((line) =>
      // Graphviz drops a label holding other control characters, or fails on a NUL.
      printable(line)
        .replace(/&/g, "&amp;")
        .replace(/</g, "&lt;")
        .replace(/>/g, "&gt;")
        .replace(/"/g, "&quot;")
        .replace(/'/g, "&#39;"),
    )
    .join("<br/>");

/** Node labels break ids and scripts into lines of at most this many characters. */
export const LABEL_LINE = 24;

/**
 * `text` broken into lines of at most `width` characters, after a `-`, `_`,
 * `.`, `/` or `:` where there is one, so that a long id stays inside its box
 * (Graphviz sizes boxes with its own font metrics, narrower than a browser's).
 */
export const broken = (text: string, width = LABEL_LINE): string => {
  const lines: string[] = [];
  let rest = text;
  while (rest.length > width) {
    const head = rest.slice(0, width);
    const cut = Math.max(...["-", "_", ".", "/", ":"].map((c) => head.lastIndexOf(c)));
    const at = cut >= width / 2 ? cut + 1 : width;
    lines.push(rest.slice(0, at));
    rest = rest.slice(at);
  }
  lines.push(rest);
  return lines.join("\n");
};

/** Escapes text for a Graphviz escString attribute (tooltips): ts-graphviz quotes `"` but not `\`. */
export const escString = (text: string): string => printable(text).replace(/\\/g, "\\\\");

/** Cells get room to spare: Graphviz measures text with its own font metrics, viewers use theirs. */
const cell = (content: string, attrs: string): string =>
  `<td ${attrs} width="78" cellpadding="3"><font point-size="9">${content}</font></td>`;

const swatchCell = (label: string, s: Swatch, style = ""): string =>
  cell(
    `<font color="${s.text}">${html(label)}</font>`,
    `bgcolor="${s.fill}" color="${s.line}" ${style}`,
  );

/** The legend, as the rows of an HTML table: every state's colour, then how the future is drawn. */
export const legendRows = (): string => {
  const states = (Object.keys(STATUS_STYLE) as NodeStatus[]).map((status) =>
    swatchCell(status, STATUS_STYLE[status]),
  );
  const future = [
    swatchCell("provisional", STATUS_STYLE.pending, 'style="dashed"'),
    swatchCell("×n  stack", STATUS_STYLE.pending),
    swatchCell("may be added", WILDCARD_STYLE, 'style="dashed"'),
    cell(
      `<font color="${WILDCARD_STYLE.line}">╌╌▸ may come before</font>`,
      'border="0" colspan="2"',
    ),
  ];
  return `<tr>${states.join("")}</tr><tr>${future.join("")}<td border="0"></td></tr>`;
};
