import type { PromiseDef, SlotCount } from "../../src/promises/schema.js";

/** The promise examples of docs/promises.md, shared by the promise, envelope and validation tests. */

export const STATIC_PROMISE = { scope: "*", nodes: false, edges: false } satisfies PromiseDef;

/** `choose` adds either `a` or `b1 -> b2`, between itself and `end`. */
export const BRANCH_PROMISE = {
  scope: "choose",
  shape: {
    one_of: [
      {
        nodes: [{ id: "a", run: "a.py", count: "1" }],
        edges: [
          { from: "choose", to: "a" },
          { from: "a", to: "end" },
        ],
      },
      {
        nodes: [
          { id: "b1", run: "b.py", count: "1" },
          { id: "b2", run: "b.py", count: "1" },
        ],
        edges: [
          { from: "choose", to: "b1" },
          { from: "b1", to: "b2" },
          { from: "b2", to: "end" },
        ],
      },
    ],
  },
} satisfies PromiseDef;

/** `A` adds `M-*` nodes (as many as `count` allows), each between A and B. */
export const mapPromise = (count: SlotCount = "*") =>
  ({
    scope: "A",
    shape: {
      one_of: [
        {
          nodes: [{ id: "M-*", run: "m.py", count }],
          edges: [
            { from: "A", to: "M-*" },
            { from: "M-*", to: "B" },
          ],
        },
      ],
    },
  }) satisfies PromiseDef;
