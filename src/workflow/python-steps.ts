import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { execaSync } from "execa";
import { z } from "zod";
import { SDK_DIR } from "../package-root.js";

/**
 * orch's own Python steps, run at registration and validation: building a
 * Python workflow file, and discovering plugin task types. Each prints one JSON
 * line; the SDK (standard library only) does the work.
 */

export const PluginInfoSchema = z.strictObject({
  type: z.string(),
  description: z.string(),
  version: z.string(),
  required_fields: z.array(z.string()),
  param_schema: z.record(z.string(), z.unknown()).nullable(),
  engines: z.array(z.string()),
  source: z.string(),
});

export const CatalogSchema = z.strictObject({
  types: z.array(PluginInfoSchema),
  /** Plugin files that failed to import (with the traceback), or folders not found. */
  errors: z.array(z.strictObject({ file: z.string(), error: z.string() })),
});

export type PluginInfo = z.infer<typeof PluginInfoSchema>;
export type Catalog = z.infer<typeof CatalogSchema>;

const BuildResultSchema = z.union([
  z.strictObject({ workflow: z.unknown() }),
  z.strictObject({ error: z.string() }),
]);

export class PythonStepError extends Error {}

const python = (): string => process.env.ORCH_PYTHON ?? "python3";

const runStep = (module: string, args: readonly string[], cwd: string): unknown => {
  const env = {
    PYTHONPATH: [SDK_DIR, process.env.PYTHONPATH].filter(Boolean).join(delimiter),
    ORCH_LOCAL: "1",
  };
  let result: ReturnType<typeof execaSync>;
  try {
    result = execaSync(python(), ["-m", module, ...args], {
      cwd,
      env,
      reject: false,
      stdin: "ignore",
    });
  } catch {
    throw new PythonStepError(`cannot run the Python interpreter "${python()}"; set $ORCH_PYTHON`);
  }
  const line =
    String(result.stdout ?? "")
      .trim()
      .split("\n")
      .at(-1) ?? "";
  try {
    return JSON.parse(line);
  } catch {
    throw new PythonStepError(
      `python -m ${module} ${args.join(" ")} failed (exit ${result.exitCode ?? "?"}):\n${String(result.stderr ?? "").trim()}`,
    );
  }
};

/** The workflow a `@workflow` function of a Python file builds, as a workflow document. */
export const buildPythonWorkflow = (
  file: string,
  name: string | null,
  cwd: string,
): { ok: true; document: unknown } | { ok: false; message: string } => {
  const result = BuildResultSchema.parse(
    runStep("orch.build", name === null ? [file] : [file, name], cwd),
  );
  return "error" in result
    ? { ok: false, message: result.error }
    : { ok: true, document: result.workflow };
};

/** Every `.py` file of `paths` (files, or folders' modules) with its modification time. */
const fingerprint = (paths: readonly string[]): string => {
  const hash = createHash("sha256").update(SDK_DIR);
  for (const path of paths) {
    hash.update(`\0${path}`);
    let files: string[];
    try {
      files = statSync(path).isDirectory()
        ? readdirSync(path)
            .filter((name) => name.endsWith(".py"))
            .sort()
            .map((name) => join(path, name))
        : [path];
    } catch {
      continue;
    }
    for (const file of files) hash.update(`\0${file}:${statSync(file).mtimeMs}`);
  }
  return hash.digest("hex");
};

const CACHE_FILE = join(".orch", "python-steps-cache.json");
/** Results kept in the cache file: the newest ones. */
const CACHE_ENTRIES = 64;
const CacheSchema = z.record(z.string(), z.unknown());

/**
 * A Python step's result, cached in `.orch/` under the current directory by the
 * step, its arguments and the path and modification time of every file it reads.
 */
const cachedStep = <T>(
  step: string,
  args: readonly string[],
  files: readonly string[],
  cwd: string,
  schema: z.ZodType<T>,
): T => {
  const key = `${step} ${cwd} ${args.join(" ")} ${fingerprint(files)}`;
  let cache: Record<string, unknown> = {};
  try {
    cache = CacheSchema.parse(JSON.parse(readFileSync(CACHE_FILE, "utf8")));
  } catch {
    // No cache yet, or an unreadable one: the step runs.
  }
  const cached = schema.safeParse(cache[key]);
  if (cached.success) return cached.data;
  const result = schema.parse(runStep(step, args, cwd));
  const kept = Object.entries({ ...cache, [key]: result }).slice(-CACHE_ENTRIES);
  try {
    mkdirSync(".orch", { recursive: true });
    writeFileSync(CACHE_FILE, JSON.stringify(Object.fromEntries(kept)));
  } catch {
    // A read-only directory only costs the next run of the step its time.
  }
  return result;
};

const BUILTIN_FOLDER = join(SDK_DIR, "orch", "plugins");

/**
 * The task types of orch's built-ins and of `folders` (absolute). Discovery
 * imports every plugin module once; the result is cached per plugin file path
 * and modification time.
 */
export const discoverPlugins = (folders: readonly string[]): Catalog =>
  cachedStep("orch.discover", folders, [BUILTIN_FOLDER, ...folders], process.cwd(), CatalogSchema);

const SignatureSchema = z.union([
  z.strictObject({
    inputs: z.record(z.string(), z.record(z.string(), z.unknown())),
    output: z.record(z.string(), z.unknown()).nullable(),
  }),
  z.strictObject({ error: z.string() }),
]);
export type FunctionSignature = z.infer<typeof SignatureSchema>;

/**
 * The type hints of functions (`module:function`, found from `dir`) as JSON
 * Schemas: each parameter's, and the return value's. Cached per module file
 * path and modification time.
 */
export const functionSignatures = (
  targets: readonly string[],
  moduleFiles: readonly string[],
  dir: string,
): Record<string, FunctionSignature> =>
  cachedStep("orch.signature", targets, moduleFiles, dir, z.record(z.string(), SignatureSchema));
