import { describeExecutor } from "./executor-spec.js";
import { policyOf, resolvePolicy } from "./policy.js";
import type { Workflow } from "./schema.js";

/**
 * What a valid workflow asks for that orch will not do as written, one sentence
 * each: a `warm` node that runs in a container or on Slurm starts cold there.
 */
export const workflowWarnings = (workflow: Workflow): string[] =>
  workflow.nodes.flatMap((node) => {
    const policy = resolvePolicy(policyOf(node), workflow.defaults);
    if (!policy.warm || policy.executor === "local") return [];
    return [
      `node ${node.id}: "warm" applies to local tasks only; it runs on ${describeExecutor(policy.executor)}, started cold`,
    ];
  });
