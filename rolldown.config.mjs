// The `orch` command as users run it: one bundle of the CLI (tsc's output in
// dist/src), because on Node 20 loading ~350 separate ES modules costs ~0.2 s
// before any command starts — `orch status`, polled while a run executes, pays
// that every time. Each command stays its own chunk, loaded only when named.
// better-sqlite3 (a native addon) and the WebAssembly Graphviz (which loads its
// .wasm beside its own module) stay in node_modules.
//
// CommonJS rather than ES modules: Node 20 compiles and links a CommonJS file
// ~15 ms sooner than the same code as an ES module, on every command. A
// package.json beside the bundle says so, since the package itself is "module".
import { chmodSync, writeFileSync } from "node:fs";
import { defineConfig } from "rolldown";

const cli = defineConfig({
  input: { orch: "dist/src/cli/main.js" },
  platform: "node",
  external: ["better-sqlite3", "@hpcc-js/wasm-graphviz"],
  // jsonc-parser's "main" is a UMD build whose require() calls a bundler cannot
  // follow; its "module" build is plain ES modules.
  resolve: { mainFields: ["module", "main"] },
  // yargs' `extends` (config files extending others; orch has none) resolves
  // through import.meta, which CommonJS lacks: it becomes {}, which is fine.
  checks: { emptyImportMeta: false },
  plugins: [
    {
      // `npx orch` executes the bin itself (its #! line): it must be executable,
      // and a file written by the bundler is not.
      name: "executable-bin",
      writeBundle(options) {
        chmodSync(`${options.dir}/orch.js`, 0o755);
        writeFileSync(`${options.dir}/package.json`, '{ "type": "commonjs" }\n');
      },
    },
  ],
  output: {
    dir: "dist/cli",
    format: "cjs",
    minify: true,
    sourcemap: true,
    // Stable names, written over in place, no clean first: a rebuild while orch
    // runs (or while the tests run it) must not pull the chunks from under it.
    chunkFileNames: "chunks/[name].js",
  },
});

// The daemon's web page: one browser script from src/web, served as /assets/app.js.
const web = defineConfig({
  input: { app: "src/web/app.ts" },
  platform: "browser",
  tsconfig: "src/web/tsconfig.json",
  output: { dir: "dist/web", format: "esm", minify: true, sourcemap: true },
});

export default [cli, web];
