import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The orch package's root directory: the nearest directory above this module
 * whose package.json names orch. Found by walking up rather than by a fixed
 * `../..`, so the same code works compiled file by file and bundled.
 */
const findPackageRoot = (from: string): string => {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && isOrchManifest(manifest)) return dir;
    if (dirname(dir) === dir) throw new Error(`orch: no orch package.json above ${from}`);
  }
};

const isOrchManifest = (path: string): boolean => {
  try {
    return (JSON.parse(readFileSync(path, "utf8")) as { name?: unknown }).name === "orch";
  } catch {
    return false;
  }
};

export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** The Python SDK, put on every task's PYTHONPATH. */
export const SDK_DIR = join(PACKAGE_ROOT, "tasks-py");
