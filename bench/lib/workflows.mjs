// Pieces of the benchmark workflows shared by bench/run.mjs and bench/compare.mjs.

/**
 * The random-map shape promise for node `A` of the bench workflows: it adds any
 * number of `M-*` nodes running tasks/hello.py, each after `A` and, when a
 * `collector` is named, before it.
 */
export const randomMapPromise = (collector) => ({
  scope: "A",
  shape: {
    one_of: [
      {
        nodes: [{ id: "M-*", run: "tasks/hello.py", count: "*" }],
        edges: [
          { from: "A", to: "M-*" },
          ...(collector === undefined ? [] : [{ from: "M-*", to: collector }]),
        ],
      },
    ],
  },
});
