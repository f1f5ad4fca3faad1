import { BRANCH_PROMISE, mapPromise, STATIC_PROMISE } from "../support/seed-promises.js";
import type { WorkflowSpec } from "./run.js";

/** The promise examples of docs/promises.md, as the tests build them. */

export const STATIC: WorkflowSpec = {
  nodes: ["start", "left", "right", "end"],
  edges: [
    ["start", "left"],
    ["start", "right"],
    ["left", "end"],
    ["right", "end"],
  ],
  promises: [STATIC_PROMISE],
};

export const BRANCH: WorkflowSpec = {
  nodes: ["start", "choose", "end"],
  edges: [
    ["start", "choose"],
    ["choose", "end"],
  ],
  promises: [
    BRANCH_PROMISE,
    { scope: "start", nodes: false, edges: false },
    { scope: "end", nodes: false, edges: false },
  ],
};

export const MAP: WorkflowSpec = {
  nodes: [
    ["A", "fanout.py"],
    ["B", "collect.py"],
  ],
  edges: [["A", "B"]],
  promises: [mapPromise(), { scope: "B", nodes: false, edges: false }],
};
