import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import Module from "node:module";
import { basename, dirname, join } from "node:path";
import vm from "node:vm";

/**
 * V8's code cache for the chunks of the bundle, kept beside them as Python keeps
 * `__pycache__`.
 *
 * Node 20 compiles every module from source on every command (Node 22 has
 * `module.enableCompileCache`): ~25 ms of a ~160 ms `orch status`, which a
 * second terminal polls while a run executes, and the same again before
 * `orch start` spawns its first task. A chunk compiled here with the cache V8
 * wrote after an earlier command is ready at once, functions included.
 *
 * Node's CommonJS loader has no public hook for this, so `Module.prototype._compile`
 * (what `require` calls with a module's source) is wrapped, for the files of
 * one directory only, as v8-compile-cache does; that package caches only what
 * V8 compiles before the module runs, which saved nothing here.
 *
 * A cache file starts with the SHA-256 of the source it was made from: V8
 * itself checks only the source's length (and its own version and flags), so
 * a rebuilt chunk of the same length would otherwise run stale code.
 *
 * A chunk that may call `import()` is left to Node: a script vm compiles needs
 * an experimental option (which warns on stderr) to import at all, and Node 20
 * loses that option when the script comes from a cache.
 */
export interface CodeCache {
  /** Write the cache of every chunk compiled without one; returns the files written. */
  save(): string[];
}

/** The part of a CommonJS module that `_compile` works with, absent from Node's typings. */
interface CompilingModule {
  exports: unknown;
  require(id: string): unknown;
  _compile(content: string, filename: string): unknown;
}

type ModuleWrapper = (
  exports: unknown,
  require: (id: string) => unknown,
  module: CompilingModule,
  filename: string,
  dirname: string,
) => unknown;

const DIGEST_BYTES = 32;
/** Anything that may be an `import()`: a false alarm only costs that chunk its cache. */
const DYNAMIC_IMPORT = /\bimport\s*\(/;
/** What `Module.wrap` puts before the source, on the source's first line. */
const WRAPPER_PREFIX = Module.wrap("").split("\n")[0]!.length;

export const enableCodeCache = (chunksDir: string): CodeCache => {
  const prototype = Module.prototype as unknown as CompilingModule;
  const original = prototype._compile;
  const unwritten: {
    readonly script: vm.Script;
    readonly path: string;
    readonly digest: Buffer;
  }[] = [];
  const cacheDir = join(chunksDir, ".code-cache");

  if (typeof original !== "function") return { save: () => [] };

  prototype._compile = function compileWithCache(content: string, filename: string) {
    if (dirname(filename) !== chunksDir || DYNAMIC_IMPORT.test(content))
      return original.call(this, content, filename);
    const path = join(cacheDir, `${basename(filename)}.bin`);
    const digest = createHash("sha256").update(content).digest();
    const cachedData = cachedFor(path, digest);
    const script = new vm.Script(Module.wrap(content), {
      filename,
      columnOffset: -WRAPPER_PREFIX,
      ...(cachedData ? { cachedData } : {}),
    });
    if (cachedData === undefined || script.cachedDataRejected === true)
      unwritten.push({ script, path, digest });
    const wrapper = script.runInThisContext() as ModuleWrapper;
    const require = (id: string) => this.require(id);
    return wrapper.call(this.exports, this.exports, require, this, filename, dirname(filename));
  };

  const save = (): string[] => {
    const written: string[] = [];
    for (const { script, path, digest } of unwritten.splice(0)) {
      try {
        mkdirSync(cacheDir, { recursive: true });
        const partial = `${path}.${process.pid}`;
        writeFileSync(partial, Buffer.concat([digest, script.createCachedData()]));
        renameSync(partial, path); // whole, even with several orch processes at once
        written.push(path);
      } catch {
        // A read-only installation: it runs as fast as it did without a cache.
      }
    }
    return written;
  };
  return { save };
};

/** The V8 data in the cache file at `path`, if it was made from the source with `digest`. */
const cachedFor = (path: string, digest: Buffer): Buffer | undefined => {
  let file: Buffer;
  try {
    file = readFileSync(path);
  } catch {
    return undefined;
  }
  return file.length > DIGEST_BYTES && file.subarray(0, DIGEST_BYTES).equals(digest)
    ? file.subarray(DIGEST_BYTES)
    : undefined;
};
