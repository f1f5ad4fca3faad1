import { compileIdGlob } from "../promises/glob.js";
import { validationProblem } from "./json-schema.js";
import { type Binding, GLOB_CHARS, namedProducer } from "./schema.js";

/** What a node's bindings read from the run. */
export interface BindingSource {
  /** The outputs of a node that succeeded (`{}` when it gave none); undefined otherwise. */
  outputsOf(id: string): Readonly<Record<string, unknown>> | undefined;
  /** The direct predecessors of the node being started, in creation order. */
  readonly predecessors: readonly string[];
  readonly runParams: Readonly<Record<string, unknown>>;
}

export type InputsResolution =
  | { readonly ok: true; readonly inputs: Record<string, unknown> }
  | { readonly ok: false; readonly reason: string };

type Lookup =
  | { readonly found: true; readonly value: unknown }
  | { readonly found: false; readonly why: string };

const found = (value: unknown): Lookup => ({ found: true, value });
const own = (object: Readonly<Record<string, unknown>>, key: string): boolean =>
  Object.hasOwn(object, key);

const lookup = (binding: Binding, source: BindingSource): Lookup => {
  if ("value" in binding) return found(binding.value);
  if ("param" in binding) {
    return own(source.runParams, binding.param)
      ? found(source.runParams[binding.param])
      : { found: false, why: `the run has no parameter ${binding.param}` };
  }
  if (GLOB_CHARS.test(binding.node)) {
    const matches = compileIdGlob(binding.node);
    const values: unknown[] = [];
    for (const id of source.predecessors) {
      const outputs = matches(id) ? source.outputsOf(id) : undefined;
      if (outputs === undefined) continue;
      if (binding.output === undefined) values.push(outputs);
      else if (own(outputs, binding.output)) values.push(outputs[binding.output]);
    }
    return found(values);
  }
  const outputs = source.outputsOf(binding.node);
  if (outputs === undefined) return { found: false, why: `${binding.node} has not succeeded` };
  if (binding.output === undefined) return found(outputs);
  return own(outputs, binding.output)
    ? found(outputs[binding.output])
    : { found: false, why: `${binding.node} gave no output ${binding.output}` };
};

/**
 * A node's inputs, resolved from the run as it starts: each binding's value, its
 * default when there is nothing to bind, checked against its schema. The first
 * binding that cannot be satisfied is named in the reason.
 */
export const resolveInputs = (
  bindings: Readonly<Record<string, Binding>>,
  source: BindingSource,
): InputsResolution => {
  const inputs: Record<string, unknown> = {};
  for (const [name, binding] of Object.entries(bindings)) {
    const result = lookup(binding, source);
    let value: unknown;
    if (result.found) value = result.value;
    else if (own(binding, "default")) value = binding.default;
    else {
      return {
        ok: false,
        reason: `input ${name} (${describeBinding(binding)}): nothing to bind (${result.why}) and no default`,
      };
    }
    const problem = binding.schema === undefined ? null : validationProblem(binding.schema, value);
    if (problem !== null) {
      return {
        ok: false,
        reason: `input ${name} (${describeBinding(binding)}): ${problem} (schema ${JSON.stringify(binding.schema)})`,
      };
    }
    inputs[name] = value;
  }
  return { ok: true, inputs };
};

export const describeBinding = (binding: Binding): string => {
  if ("value" in binding) return "a literal value";
  if ("param" in binding) return `run parameter ${binding.param}`;
  return binding.output === undefined
    ? `the outputs of ${binding.node}`
    : `output ${binding.output} of ${binding.node}`;
};

/** The nodes a node's bindings name (not globs): each one's edge into it is implied. */
export const impliedPredecessors = (
  bindings: Readonly<Record<string, Binding>> | undefined,
): { readonly name: string; readonly from: string }[] =>
  Object.entries(bindings ?? {}).flatMap(([name, binding]) => {
    const from = namedProducer(binding);
    return from === null ? [] : [{ name, from }];
  });
