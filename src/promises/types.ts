import type { NodeId } from "../graph/ids.js";
import type { Mutation } from "../graph/mutations.js";
import type { PromiseDef, ResolvedShape } from "./schema.js";

/** Where a promise was made: in the workflow file, or by a task's message. */
export type PromiseOrigin =
  | { readonly kind: "file"; readonly file: string; readonly path: string }
  | { readonly kind: "message"; readonly node: NodeId; readonly line: number };

/** A promise as made, before the book resolves it: its shape may be a `ref`. */
export interface PromiseRequest {
  readonly scope: NodeId | "*";
  readonly rules: Omit<PromiseDef, "scope">;
  readonly origin: PromiseOrigin;
  readonly madeBy: NodeId | null;
}

export type PromiseRules = Omit<PromiseDef, "scope" | "shape"> & { shape?: ResolvedShape };

/** A promise in force in a run. `scope` is resolved: a node id or `*`, never `$self`. */
export interface PromiseRecord {
  /** Position in the run's promise list, 0-based, in the order they were made. */
  readonly id: number;
  readonly scope: NodeId | "*";
  /** Its rules, a shape given by `ref` resolved to its templates, and `$self` in templates to the scope. */
  readonly rules: PromiseRules;
  readonly origin: PromiseOrigin;
  /** The node whose task made it; null for promises of the workflow file. */
  readonly madeBy: NodeId | null;
}

export type RuleName = "nodes" | "edges" | "no_edges_from" | "no_edges_to" | "shape" | "attrs";

export interface Violation {
  readonly promise: PromiseRecord;
  readonly rule: RuleName;
  /** The mutation that broke it; absent when the shape's final check fails. */
  readonly mutation?: Mutation;
  /** Why, in words: what was expected and what happened. */
  readonly why: string;
  /** The part of the rule that failed, e.g. `nodes.max` or `edges`; defaults to `rule`. */
  readonly clause?: string;
  /** The graph already broke the promise when it was made; `mutation` is then an earlier one. */
  readonly whenMade?: boolean;
}

export const describeOrigin = (origin: PromiseOrigin): string =>
  origin.kind === "file"
    ? `${origin.file} ${origin.path}`
    : `made by ${origin.node} (message line ${origin.line})`;

/** How far one alternative (`one_of` template) of a shape promise has got. */
export interface AlternativeProgress {
  /** Index in `shape.one_of`. */
  readonly index: number;
  /** False once the scope's additions can no longer become this template. */
  readonly alive: boolean;
  /** Per template slot, in template order: the ids of the added nodes assigned to it. */
  readonly instances: readonly (readonly NodeId[])[];
  /** Per template edge, in template order: how many of its implied edges the scope has added, of how many. */
  readonly edges: readonly { readonly present: number; readonly expected: number }[];
  /** Why the alternative died; absent while it is alive. */
  readonly why?: string;
}

/** A promise in force and what its scope has done so far: what the envelope is computed from. */
export interface PromiseProgress {
  readonly promise: PromiseRecord;
  /** Nodes the scope has added (for `nodes.max`). */
  readonly addedNodes: number;
  /** Nodes in the scope that have not settled: 0 means the scope can add nothing more. */
  readonly openNodes: number;
  /** One entry per `shape.one_of` template; empty for promises without `shape`. */
  readonly alternatives: readonly AlternativeProgress[];
  /** False for a promise that was already broken when it was made: it never came into force. */
  readonly inForce: boolean;
  /** A node of the scope failed, was blocked or cancelled: the shape's final check will be skipped. */
  readonly incomplete: boolean;
}
