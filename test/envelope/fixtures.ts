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

/** A adds M-*, each M-i adds N-* between itself and B: promised once, as a slot promise. */
export const NESTED_MAP: WorkflowSpec = {
  nodes: ["A", "B"],
  edges: [["A", "B"]],
  promises: [
    {
      scope: "A",
      shape: {
        one_of: [
          {
            nodes: [
              {
                id: "M-*",
                run: "m.py",
                count: "*",
                promises: [
                  {
                    scope: "$self",
                    shape: {
                      one_of: [
                        {
                          nodes: [{ id: "N-*", run: "n.py", count: "*" }],
                          edges: [
                            { from: "$self", to: "N-*" },
                            { from: "N-*", to: "B" },
                          ],
                        },
                      ],
                    },
                  },
                ],
              },
            ],
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

/** Each node of the split either adds nothing or two more of its kind (`*-l`, `*-r`) leading into `join`. */
export const RECURSIVE_SPLIT: WorkflowSpec = {
  nodes: [
    ["s", "split.py"],
    ["join", "join.py"],
  ],
  edges: [["s", "join"]],
  shapes: {
    split: {
      one_of: [
        { nodes: [], edges: [] },
        {
          nodes: [
            { id: "*-l", run: "split.py", promises: [{ shape: { ref: "split" } }] },
            { id: "*-r", run: "split.py", promises: [{ shape: { ref: "split" } }] },
          ],
          edges: [
            { from: "$self", to: "*-l" },
            { from: "$self", to: "*-r" },
            { from: "*-l", to: "join" },
            { from: "*-r", to: "join" },
          ],
        },
      ],
    },
  },
  promises: [
    { scope: "s", shape: { ref: "split" } },
    { scope: "join", nodes: false, edges: false },
  ],
};
