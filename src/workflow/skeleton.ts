import { z } from "zod";
import {
  type NodePromiseDef,
  NodePromiseSchema,
  type PromiseDef,
  PromiseSchema,
  type Shapes,
  ShapesSchema,
} from "../promises/schema.js";

/** A value read where it can be, `null` where it cannot: indices stay those of the file. */
const orNull = <T extends z.ZodType>(schema: T) => schema.nullable().catch(null);

/**
 * What the graph checks need of a workflow file (ids, scripts, edges,
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
          run: z.string().nullable().catch(null),
          depends_on: z.array(orNull(z.string())).catch([]),
          promises: z.array(orNull(NodePromiseSchema)).catch([]),
        }),
      ),
    )
    .catch([]),
  edges: z.array(orNull(z.object({ from: z.string(), to: z.string() }))).catch([]),
  promises: z.array(orNull(PromiseSchema)).catch([]),
  shapes: ShapesSchema.catch({}),
});

/** A valid workflow is one too, with nothing `null`. */
export interface WorkflowSkeleton {
  readonly nodes: readonly ({
    readonly id: string;
    readonly run: string | null;
    readonly depends_on: readonly (string | null)[];
    readonly promises: readonly (NodePromiseDef | null)[];
  } | null)[];
  readonly edges: readonly ({ readonly from: string; readonly to: string } | null)[];
  readonly promises: readonly (PromiseDef | null)[];
  readonly shapes: Shapes;
}
