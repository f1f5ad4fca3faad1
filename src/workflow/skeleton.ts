import { z } from "zod";
import {
  type NodePromiseDef,
  NodePromiseSchema,
  type PromiseDef,
  PromiseSchema,
  type Shapes,
  ShapesSchema,
} from "../promises/schema.js";
import { CallTargetSchema } from "./schema.js";

/** A value read where it can be, `null` where it cannot: indices stay those of the file. */
const orNull = <T extends z.ZodType>(schema: T) => schema.nullable().catch(null);

/**
 * What the graph checks need of a workflow file (ids, what nodes run, edges,
 * promises), read leniently: a file with schema errors still has its unknown
 * nodes, cycles and bad promises reported in the same pass. Each entry that
 * cannot be read is `null`; its schema error is reported already.
 */
export const LooseWorkflowSchema = z.object({
  nodes: z
    .array(
      orNull(
        z.object({
          id: z.string(),
          run: z.string().optional().catch(undefined),
          call: CallTargetSchema.optional().catch(undefined),
          uses: z.string().optional().catch(undefined),
          args: z.array(z.unknown()).catch([]),
          depends_on: z.array(orNull(z.string())).catch([]),
          promises: z.array(orNull(NodePromiseSchema)).catch([]),
        }),
      ),
    )
    .catch([]),
  edges: z
    .array(
      orNull(
        z.object({
          from: z.string(),
          to: z.string(),
          loop: z.boolean().optional().catch(undefined),
        }),
      ),
    )
    .catch([]),
  promises: z.array(orNull(PromiseSchema)).catch([]),
  shapes: ShapesSchema.catch({}),
});

/** A valid workflow is one too, with nothing `null`. */
export interface WorkflowSkeleton {
  readonly nodes: readonly ({
    readonly id: string;
    readonly run?: string | undefined;
    readonly call?: string | undefined;
    readonly uses?: string | undefined;
    readonly args: readonly unknown[];
    readonly depends_on: readonly (string | null)[];
    readonly promises: readonly (NodePromiseDef | null)[];
  } | null)[];
  readonly edges: readonly ({
    readonly from: string;
    readonly to: string;
    readonly loop?: boolean | undefined;
  } | null)[];
  readonly promises: readonly (PromiseDef | null)[];
  readonly shapes: Shapes;
}
