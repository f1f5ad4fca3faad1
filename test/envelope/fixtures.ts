import type { WorkflowSpec } from "./run.js";

/** DESIGN §6's examples, as the tests build them. */

export const STATIC: WorkflowSpec = {
  nodes: ["start", "left", "right", "end"],
  edges: [
    ["start", "left"],
    ["start", "right"],
    ["left", "end"],
    ["right", "end"],
  ],
  promises: [{ scope: "*", nodes: false, edges: false }],
};

export const BRANCH: WorkflowSpec = {
  nodes: ["start", "choose", "end"],
  edges: [
    ["start", "choose"],
    ["choose", "end"],
  ],
  promises: [
    {
      scope: "choose",
      shape: {
        one_of: [
          {
            nodes: [{ id: "a", run: "a.py" }],
            edges: [
              { from: "choose", to: "a" },
              { from: "a", to: "end" },
            ],
          },
          {
            nodes: [
              { id: "b1", run: "b.py" },
              { id: "b2", run: "b.py" },
            ],
            edges: [
              { from: "choose", to: "b1" },
              { from: "b1", to: "b2" },
              { from: "b2", to: "end" },
            ],
          },
        ],
      },
    },
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
  promises: [
    {
      scope: "A",
      shape: {
        one_of: [
          {
            nodes: [{ id: "M-*", run: "m.py", count: "*" }],
            edges: [
              { from: "A", to: "M-*" },
              { from: "M-*", to: "B" },
            ],
          },
        ],
      },
    },
    { scope: "B", nodes: false, edges: false },
  ],
};
