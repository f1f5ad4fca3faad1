#!/usr/bin/env node
// Summarize a V8 .cpuprofile (from `node --cpu-prof`): the functions with the
// most self time, and the files with the most self time.
//
//   node bench/profile-summary.mjs FILE.cpuprofile [TOP] [FROM_MS TO_MS]
//
// FROM_MS TO_MS keep only the samples taken in that window (milliseconds since
// the profile started), to look at one phase of a run; a sample timeline (CPU
// busy per second) is printed so the phases can be found.

import { readFileSync } from "node:fs";

const [file, topArg, fromArg, toArg] = process.argv.slice(2);
if (!file) {
  console.error("usage: node bench/profile-summary.mjs FILE.cpuprofile [TOP] [FROM_MS TO_MS]");
  process.exit(2);
}
const top = Number(topArg ?? 25);
const from = fromArg === undefined ? Number.NEGATIVE_INFINITY : Number(fromArg) * 1000;
const to = toArg === undefined ? Number.POSITIVE_INFINITY : Number(toArg) * 1000;
const profile = JSON.parse(readFileSync(file, "utf8"));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = profile.timeDeltas ?? [];
const busyPerSecond = [];
let clock = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  const delta = dt[i] ?? 0;
  clock += delta;
  const name = byId.get(id).callFrame.functionName;
  const second = Math.floor(clock / 1e6);
  if (name !== "(idle)") busyPerSecond[second] = (busyPerSecond[second] ?? 0) + delta;
  if (clock < from || clock > to) continue;
  self.set(id, (self.get(id) ?? 0) + delta);
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const shorten = (url) =>
  url
    .replace(/^file:\/\//, "")
    .replace(/^.*\/node_modules\//, "node_modules/")
    .replace(/^.*\/dist\//, "dist/");
const fnKey = (n) => {
  const f = n.callFrame;
  const where = f.url ? `${shorten(f.url)}:${f.lineNumber + 1}` : "(native)";
  return `${f.functionName || "(anonymous)"}  ${where}`;
};
const byFn = new Map();
const byFile = new Map();
for (const [id, us] of self) {
  const n = byId.get(id);
  const k = fnKey(n);
  byFn.set(k, (byFn.get(k) ?? 0) + us);
  const fileKey = n.callFrame.url
    ? shorten(n.callFrame.url)
    : `(${n.callFrame.functionName || "native"})`;
  byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + us);
}
const print = (title, map) => {
  console.log(`\n${title}`);
  for (const [k, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(
      `${(us / 1000).toFixed(1).padStart(9)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`,
    );
  }
};
console.log(
  `${file}: ${(total / 1000).toFixed(0)} ms sampled${Number.isFinite(from) ? ` between ${from / 1000} and ${to / 1000} ms` : ""}`,
);
console.log(
  `busy ms per second of the profile: ${Array.from(busyPerSecond, (us, s) => `${s}s:${((us ?? 0) / 1000).toFixed(0)}`).join(" ")}`,
);
print("top self time by function", byFn);
print("top self time by file", byFile);
