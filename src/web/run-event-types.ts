/**
 * Every type of run event the events stream sends. Server-Sent Events arrive
 * under their type's name and a listener hears only the names it asked for, so
 * the page asks for each (a test keeps this list equal to the history's types).
 */
export const RUN_EVENT_TYPES = [
  "node_added",
  "edge_added",
  "attrs_set",
  "promise_made",
  "node_status",
  "attempt_started",
  "attempt_ended",
  "output",
  "inputs",
  "run_params",
  "defaults",
  "preload",
  "shapes",
  "plugins",
  "run_status",
  "command",
  "asked",
  "answered",
  "nodes_reset",
  "loop_again",
] as const;
