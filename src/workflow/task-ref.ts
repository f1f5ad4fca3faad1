/**
 * What a node runs, as one string (a node's `run` in the graph, the store and
 * promise rules): a script path as it is, `call:MODULE:FUNCTION` for a function,
 * `uses:TYPE` for a plugin task type. Every node stays uniform; only how its
 * process is started differs.
 */

export type TaskKind =
  | { readonly kind: "run"; readonly script: string }
  | { readonly kind: "call"; readonly target: string }
  | { readonly kind: "uses"; readonly type: string };

/** The fields of a node (file or `add_node`) that say what it runs; exactly one is set. */
export interface TaskFields {
  readonly run?: string | undefined;
  readonly call?: string | undefined;
  readonly uses?: string | undefined;
}

const CALL = "call:";
const USES = "uses:";

export const callRef = (target: string): string => `${CALL}${target}`;
export const usesRef = (type: string): string => `${USES}${type}`;

/** The task reference of a node that names exactly one of `run`, `call`, `uses`. */
export const taskRefOf = (fields: TaskFields): string => {
  if (fields.call !== undefined) return callRef(fields.call);
  if (fields.uses !== undefined) return usesRef(fields.uses);
  if (fields.run !== undefined) return fields.run;
  throw new Error("a node names none of run, call, uses");
};

export const parseTaskRef = (ref: string): TaskKind => {
  if (ref.startsWith(CALL)) return { kind: "call", target: ref.slice(CALL.length) };
  if (ref.startsWith(USES)) return { kind: "uses", type: ref.slice(USES.length) };
  return { kind: "run", script: ref };
};

/** How many of `run`, `call`, `uses` a node names: valid nodes name exactly one. */
export const taskFieldCount = (fields: TaskFields): number =>
  [fields.run, fields.call, fields.uses].filter((v) => v !== undefined).length;

export const ONE_TASK_KIND =
  'a node names exactly one of "run" (a Python script), "call" (module:function) or "uses" (a task type)';
