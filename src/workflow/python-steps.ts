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

/** Every plugin module of `folders` with its modification time: what a catalog depends on. */
const fingerprint = (folders: readonly string[]): string => {
  const hash = createHash("sha256").update(SDK_DIR);
  for (const folder of folders) {
    hash.update(`\0${folder}`);
    let names: string[];
    try {
      names = readdirSync(folder)
        .filter((name) => name.endsWith(".py"))
        .sort();
    } catch {
      continue;
    }
    for (const name of names) hash.update(`\0${name}:${statSync(join(folder, name)).mtimeMs}`);
  }
  return hash.digest("hex");
};

const CACHE_FILE = join(".orch", "plugins-cache.json");
const CacheSchema = z.record(z.string(), CatalogSchema);
const BUILTIN_FOLDER = join(SDK_DIR, "orch", "plugins");

const readCache = (): Record<string, Catalog> => {
  try {
    return CacheSchema.parse(JSON.parse(readFileSync(CACHE_FILE, "utf8")));
  } catch {
    return {};
  }
};

/**
 * The task types of orch's built-ins and of `folders` (absolute). Discovery
 * imports every plugin module, so its result is cached (in `.orch/` under the
 * current directory) per plugin file path and modification time.
 */
export const discoverPlugins = (folders: readonly string[]): Catalog => {
  const key = fingerprint([BUILTIN_FOLDER, ...folders]);
  const cache = readCache();
  const cached = cache[key];
  if (cached !== undefined) return cached;
  const catalog = CatalogSchema.parse(runStep("orch.discover", folders, process.cwd()));
  try {
    mkdirSync(".orch", { recursive: true });
    writeFileSync(CACHE_FILE, JSON.stringify({ [key]: catalog }));
  } catch {
    // A read-only directory only costs the next discovery its time.
  }
  return catalog;
};
