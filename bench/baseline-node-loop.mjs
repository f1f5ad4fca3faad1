#!/usr/bin/env node
// A reference for the task benchmarks: what spawning tasks from Node costs any
// orchestrator written in it. Runs SCRIPT N times, one after another, spawned as
// orch spawned a task before its spawner (node:child_process, no shell, its own
// process group, the start message written to its stdin, its stdout read to the
// end, its stderr appended to a log file), and nothing else: no workflow, no
// database, no checks.
// Run from the workflow directory with PYTHONPATH set to the SDK, as orch does.
// Usage: baseline-node-loop.mjs PYTHON N SCRIPT START_FILE LOG_FILE

import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";

const [python, count, script, startFile, logFile] = process.argv.slice(2);
const start = readFileSync(startFile, "utf8");

/** One task, to its exit and the end of its stdout; rejects unless it exits 0. */
const runOnce = () =>
  new Promise((resolve, reject) => {
    const log = openSync(logFile, "a");
    const child = spawn(python, [script], { stdio: ["pipe", "pipe", log], detached: true });
    child.stdin.end(start);
    child.stdout.resume();
    const ended = new Promise((done) => child.stdout.once("end", done));
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      ended.then(() => {
        closeSync(log);
        if (code === 0) resolve();
        else reject(new Error(`${script} exited with ${code ?? signal}`));
      });
    });
  });

for (let i = 0; i < Number(count); i++) await runOnce();
