import type { NodeStatus } from "../graph/graph.js";
import type { NodeId } from "../graph/ids.js";
import type { RunStatus } from "../state/run-status.js";

/** What the engine reports as a run goes; the CLI decides how to show it. */
export type Progress =
  | {
      readonly kind: "node";
      readonly node: NodeId;
      readonly status: NodeStatus;
      readonly attempt: number;
      readonly seconds: number | null;
      readonly reason: string | null;
      /** With more than one task at a time: the nodes running now (the first few). */
      readonly running: readonly NodeId[];
      /** How many tasks are running now. */
      readonly inFlight: number;
    }
  | { readonly kind: "run"; readonly status: RunStatus; readonly reason: string | null };

export type ProgressListener = (progress: Progress) => void;
