import type { Graphviz } from "@hpcc-js/wasm-graphviz";
import type { Envelope, EnvelopeMeta } from "../envelope/model.js";
import { toDot } from "./dot.js";

let graphviz: Promise<Graphviz> | null = null;

/**
 * The WebAssembly Graphviz, loaded once per process: no system `dot` needed.
 * Imported on first use: it is an ES module, and the CLI bundle is CommonJS.
 */
const loadGraphviz = (): Promise<Graphviz> => {
  graphviz ??= import("@hpcc-js/wasm-graphviz").then(({ Graphviz }) => Graphviz.load());
  return graphviz;
};

/** The envelope laid out and drawn as SVG, in-process. */
export async function toSvg(envelope: Envelope, meta: EnvelopeMeta): Promise<string> {
  const gv = await loadGraphviz();
  return gv.dot(toDot(envelope, meta), "svg");
}
