/**
 * Text widths as a browser draws them, for checking that labels fit: the
 * Helvetica and Helvetica-Bold advance widths (Adobe's font metrics, in
 * thousandths of an em) for printable ASCII; any other character is given a
 * full em, more than any of them takes.
 */
const REGULAR =
  "278 278 355 556 556 889 667 191 333 333 389 584 278 333 278 278 556 556 556 556 556 556 556 556 556 556 278 278 584 584 584 556 1015 667 667 722 722 667 611 778 722 278 500 667 556 833 722 778 667 778 722 667 611 722 667 944 667 667 611 278 278 278 469 556 333 556 556 500 556 556 278 556 556 222 222 500 222 833 556 556 556 556 333 500 278 556 500 722 500 500 500 334 260 334 584";
const BOLD =
  "278 333 474 556 556 889 722 238 333 333 389 584 278 333 278 278 556 556 556 556 556 556 556 556 556 556 333 333 584 584 584 611 975 722 722 722 722 667 611 778 722 278 556 722 611 833 722 778 667 778 722 667 611 722 667 944 667 667 611 333 278 333 584 556 333 556 611 556 611 556 333 611 611 278 278 556 278 889 611 611 611 611 389 556 333 611 556 778 556 556 500 389 280 389 584";

const table = (widths: string): number[] => widths.split(" ").map(Number);
const TABLES = { regular: table(REGULAR), bold: table(BOLD) };

/** The width in points of `text` set at `size` points. */
export const textWidth = (text: string, size: number, bold: boolean): number => {
  const widths = bold ? TABLES.bold : TABLES.regular;
  let em = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    em += code >= 32 && code <= 126 ? widths[code - 32]! : 1000;
  }
  return (em / 1000) * size;
};

const fromSvgText = (text: string): string =>
  text
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");

export interface Overflow {
  readonly node: string;
  readonly text: string;
  readonly width: number;
  readonly room: number;
}

/**
 * Every node text of an SVG drawn by Graphviz that does not fit inside its
 * node's outline (the widest polygon or path of the node's group).
 */
export const overflows = (svg: string): Overflow[] => {
  const out: Overflow[] = [];
  for (const group of svg.matchAll(/<g id="node\d+" class="node">([\s\S]*?)<\/g>/g)) {
    const body = group[1]!;
    const title = /<title>([\s\S]*?)<\/title>/.exec(body)?.[1] ?? "";
    const xs: number[] = [];
    for (const points of body.matchAll(/<(?:polygon|polyline)[^>]* points="([^"]+)"/g))
      for (const pair of points[1]!.trim().split(/\s+/)) xs.push(Number(pair.split(",")[0]));
    for (const path of body.matchAll(/<path[^>]* d="([^"]+)"/g))
      for (const num of path[1]!.matchAll(/[MCL]?(-?[\d.]+),(-?[\d.]+)/g)) xs.push(Number(num[1]));
    if (xs.length === 0) continue;
    const left = Math.min(...xs);
    const right = Math.max(...xs);
    for (const t of body.matchAll(/<text([^>]*)>([^<]*)<\/text>/g)) {
      const attrs = t[1]!;
      const text = fromSvgText(t[2]!);
      const size = Number(/font-size="([\d.]+)"/.exec(attrs)?.[1] ?? 14);
      const bold = /font-weight="bold"/.test(attrs);
      const x = Number(/ x="(-?[\d.]+)"/.exec(attrs)?.[1]);
      const anchor = /text-anchor="(\w+)"/.exec(attrs)?.[1] ?? "start";
      const width = textWidth(text, size, bold);
      const start = anchor === "middle" ? x - width / 2 : anchor === "end" ? x - width : x;
      if (start < left || start + width > right)
        out.push({ node: fromSvgText(title), text, width, room: right - left });
    }
  }
  return out;
};
