import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers.js";

/** A bundle-like directory: a chunk that requires a sibling, a builtin and reads its own paths. */
const chunks = (): string => {
  const dir = join(mkdtempSync(join(tmpdir(), "orch-code-cache-")), "chunks");
  mkdirSync(dir);
  writeFileSync(join(dir, "helper.js"), "exports.ten = 2 * 5;\n");
  writeFileSync(
    join(dir, "main.js"),
    [
      '"use strict";',
      'const { ten } = require("./helper.js");',
      'const { basename } = require("node:path");',
      "module.exports = { answer: 4 * ten + 2, file: basename(__filename), dir: __dirname,",
      "  strict: (function () { return this === undefined; })(), self: this === module.exports };",
    ].join("\n"),
  );
  return dir;
};

/**
 * A new Node process, as a new orch command is: V8 keeps compiled code for the
 * life of a process, so only a fresh one shows whether the cache was taken.
 * It enables the cache for `dir`, requires `chunk` there (and awaits its
 * `sep()`, if it has one), and reports what it exported and what it wrote.
 */
const fresh = (dir: string, chunk: string) => {
  const script = `
    const { enableCodeCache } = await import(${JSON.stringify(join(ROOT, "dist/src/cli/code-cache.js"))});
    const { createRequire } = await import("node:module");
    const cache = enableCodeCache(${JSON.stringify(dir)});
    const loaded = createRequire(import.meta.url)(${JSON.stringify(join(dir, chunk))});
    const sep = typeof loaded.sep === "function" ? await loaded.sep() : undefined;
    const written = cache.save().map((p) => p.slice(${dir.length + 1}));
    console.log(JSON.stringify({ ...loaded, sep, written }));`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
  });
  return JSON.parse(out) as Record<string, unknown> & { written: string[] };
};

describe("the code cache of the bundle's chunks", () => {
  it("runs a chunk as Node would, writes its cache once, and takes it from then on", () => {
    const dir = chunks();
    const first = fresh(dir, "main.js");
    expect(first).toEqual({
      answer: 42,
      file: "main.js",
      dir,
      strict: true,
      self: true,
      written: [".code-cache/main.js.bin", ".code-cache/helper.js.bin"],
    });
    expect(fresh(dir, "main.js")).toEqual({ ...first, written: [] });
  });

  it("recompiles a chunk whose source changed, even to one of the same length", () => {
    const dir = chunks();
    fresh(dir, "helper.js");
    writeFileSync(join(dir, "helper.js"), "exports.ten = 3 * 5;\n");
    const changed = fresh(dir, "helper.js");
    expect(changed).toMatchObject({ ten: 15, written: [".code-cache/helper.js.bin"] });
    expect(fresh(dir, "helper.js").written).toEqual([]);
  });

  it("recompiles over a cache file V8 refuses", () => {
    const dir = chunks();
    fresh(dir, "helper.js");
    const path = join(dir, ".code-cache/helper.js.bin");
    const digest = readFileSync(path).subarray(0, 32);
    writeFileSync(path, Buffer.concat([digest, Buffer.from("not a code cache")]));
    expect(fresh(dir, "helper.js").written).toEqual([".code-cache/helper.js.bin"]);
    expect(fresh(dir, "helper.js").written).toEqual([]);
  });

  it("leaves modules outside its directory to Node, and chunks that may import()", () => {
    const dir = chunks();
    expect(fresh(join(dir, "elsewhere"), "../main.js")).toMatchObject({ answer: 42, written: [] });
    writeFileSync(
      join(dir, "lazy.js"),
      'exports.sep = () => import("node:path").then((p) => p.sep);\n',
    );
    expect(fresh(dir, "lazy.js")).toEqual({ sep: "/", written: [] });
  });

  it("runs without a cache, and without an error, where none can be written", () => {
    const dir = chunks();
    writeFileSync(join(dir, ".code-cache"), "a file where the cache directory would go");
    expect(fresh(dir, "main.js")).toMatchObject({ answer: 42, written: [] });
    expect(fresh(dir, "main.js")).toMatchObject({ answer: 42, written: [] });
  });
});
