import { extname } from "node:path";
import type { Envelope, EnvelopeMeta } from "../envelope/model.js";
import { toDot } from "./dot.js";
import { toJson } from "./json.js";
import { toSvg } from "./svg.js";

export const RENDER_FORMATS = ["svg", "dot", "json"] as const;
export type RenderFormat = (typeof RENDER_FORMATS)[number];

export { toDot, toJson, toSvg };

export async function renderEnvelope(
  envelope: Envelope,
  format: RenderFormat,
  meta: EnvelopeMeta,
): Promise<string> {
  switch (format) {
    case "svg":
      return toSvg(envelope, meta);
    case "dot":
      return toDot(envelope, meta);
    case "json":
      return toJson(envelope, meta);
  }
}

/** The format `path`'s extension asks for; throws naming the extension and the ones allowed. */
export function formatFromPath(path: string): RenderFormat {
  const ext = extname(path).toLowerCase();
  const format = RENDER_FORMATS.find((f) => `.${f}` === ext);
  if (format) return format;
  const allowed = RENDER_FORMATS.map((f) => `.${f}`).join(", ");
  const got = ext === "" ? "has no extension" : `ends in ${ext}`;
  throw new Error(
    `cannot tell the output format of ${path}: it ${got}; expected one of ${allowed}`,
  );
}
