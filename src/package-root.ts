import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

interface Manifest {
  readonly name?: unknown;
  readonly version?: unknown;
}

const readManifest = (path: string): Manifest | null => {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Manifest;
  } catch {
    return null;
  }
};

/**
 * The orch package: the nearest directory above this module whose package.json
 * names orch, and its version. Found by walking up rather than by a fixed
 * `../..`, so the same code works compiled file by file and bundled.
 */
const findPackage = (from: string): { readonly root: string; readonly version: string } => {
  for (let dir = from; ; dir = dirname(dir)) {
    const path = join(dir, "package.json");
    const manifest = existsSync(path) ? readManifest(path) : null;
    if (manifest?.name === "orch") {
      return {
        root: dir,
        version: typeof manifest.version === "string" ? manifest.version : "unknown",
      };
    }
    if (dirname(dir) === dir) throw new Error(`orch: no orch package.json above ${from}`);
  }
};

const PACKAGE = findPackage(dirname(fileURLToPath(import.meta.url)));

export const PACKAGE_ROOT = PACKAGE.root;

/** orch's own version (`orch --version`), whatever directory it runs in. */
export const ORCH_VERSION = PACKAGE.version;

/** The Python SDK, put on every task's PYTHONPATH. */
export const SDK_DIR = join(PACKAGE_ROOT, "tasks-py");
