import type { Color, EdgeAttributesObject, NodeAttributesObject, Style } from "ts-graphviz";
import { describeBinding } from "../data/bindings.js";
import type { Attrs } from "../data/schema.js";
import type { EnvelopeEdge, EnvelopeNode } from "../envelope/model.js";
import { escString, html } from "./style.js";

/** A node's declared inputs and outputs, one per line, for its tooltip. */
export const dataTooltip = (node: EnvelopeNode): string => {
  const lines: string[] = [];
  for (const [name, binding] of Object.entries(node.inputs ?? {}))
    lines.push(`input ${name}: ${describeBinding(binding)}`);
  for (const [key, schema] of Object.entries(node.outputs ?? {}))
    lines.push(`output ${key}: ${JSON.stringify(schema)}`);
  return lines.join("\n");
};

interface Painted {
  color?: Color;
  fillcolor?: Color;
  fontcolor?: Color;
  penwidth?: number;
  style?: Style;
}

/**
 * Colours, pen width and style a user set, over what the status draws. Colours
 * are names or `#rrggbb[aa]` (the attrs schema allows nothing else), which
 * Graphviz reads as colours.
 */
const painted = (attrs: Attrs, baseStyle: string): Painted => {
  const out: Painted = {};
  if (attrs.color !== undefined) out.color = attrs.color as Color;
  if (attrs.fillcolor !== undefined) out.fillcolor = attrs.fillcolor as Color;
  if (attrs.fontcolor !== undefined) out.fontcolor = attrs.fontcolor as Color;
  if (attrs.penwidth !== undefined) out.penwidth = attrs.penwidth;
  if (attrs.style !== undefined && attrs.style !== "solid")
    out.style = (baseStyle === "" ? attrs.style : `${baseStyle},${attrs.style}`) as Style;
  return out;
};

/** A node's drawing attributes with its own attrs applied; `text` is its usual label's inner HTML. */
export const paintNode = (
  node: EnvelopeNode,
  drawn: NodeAttributesObject,
  text: string,
): NodeAttributesObject => {
  const attrs = node.attrs ?? {};
  const data = dataTooltip(node);
  const tip = [attrs.tooltip ?? String(drawn.tooltip ?? ""), data].filter((t) => t !== "");
  return {
    ...drawn,
    ...painted(attrs, String(drawn.style ?? "")),
    ...(attrs.label === undefined ? {} : { label: `<<b>${html(attrs.label)}</b><br/>${text}>` }),
    tooltip: escString(tip.join("\n")),
  };
};

/** An edge's drawing attributes with its own attrs applied. */
export const paintEdge = (
  edge: EnvelopeEdge,
  drawn: EdgeAttributesObject,
): EdgeAttributesObject => {
  const attrs = edge.attrs;
  if (attrs === undefined) return drawn;
  return {
    ...drawn,
    ...painted(attrs, ""),
    ...(attrs.style === undefined ? {} : { style: attrs.style as Style }),
    ...(attrs.label === undefined ? {} : { label: `<${html(attrs.label)}>` }),
    ...(attrs.tooltip === undefined ? {} : { tooltip: escString(attrs.tooltip) }),
  };
};
