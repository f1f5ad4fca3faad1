import { PassThrough } from "node:stream";
import type { ExecutorSet } from "../../src/executors/choose.js";
import type {
  Executor,
  ExecutorEnd,
  ExecutorLaunch,
  ExecutorTask,
} from "../../src/executors/executor.js";

/**
 * An executor whose tasks run in this process, scripted by the test: they
 * write lines, exit with a code, or hang until orch stops them. Engine tests
 * run on it in milliseconds, with no processes.
 */
export class FakeTask {
  readonly stdout = new PassThrough();
  readonly end: Promise<ExecutorEnd>;
  /** Signals orch sent, in order. */
  readonly signals: string[] = [];
  #resolveEnd!: (end: ExecutorEnd) => void;
  #ended = false;

  constructor(readonly launch: ExecutorLaunch) {
    this.end = new Promise((resolve) => {
      this.#resolveEnd = resolve;
    });
  }

  get node(): string {
    return this.launch.nodeId;
  }

  get attempt(): number {
    return this.launch.attempt;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Write one stdout line: an object as JSON, a string as it is. */
  emit(message: object | string): void {
    this.stdout.write(`${typeof message === "string" ? message : JSON.stringify(message)}\n`);
  }

  exit(code: number | null, signal: string | null = null): void {
    if (this.#ended) return;
    this.#ended = true;
    this.stdout.end();
    this.#resolveEnd({ kind: "exited", code, signal });
  }

  view(): ExecutorTask {
    return {
      handle: Promise.resolve(`fake:${this.node}:${this.attempt}`),
      stdout: this.stdout,
      end: this.end,
      terminate: () => {
        this.signals.push("SIGTERM");
        this.exit(null, "SIGTERM");
      },
      kill: () => {
        this.signals.push("SIGKILL");
        this.exit(null, "SIGKILL");
      },
      stopReading: () => this.stdout.destroy(),
    };
  }
}

/** What a fake task does once started. */
export type FakeScript = (task: FakeTask) => void | Promise<void>;

export const succeed =
  (...messages: (object | string)[]): FakeScript =>
  (task) => {
    for (const message of messages) task.emit(message);
    task.exit(0);
  };

export const fail =
  (code = 1): FakeScript =>
  (task) =>
    task.exit(code);

/** Runs until orch stops it. */
export const hang: FakeScript = () => {};

export class FakeExecutor implements Executor {
  readonly name = "fake";
  readonly tasks: FakeTask[] = [];
  /** The most tasks that were running at one moment. */
  maxRunning = 0;
  #running = 0;
  readonly #waiters: { match: (t: FakeTask) => boolean; resolve: (t: FakeTask) => void }[] = [];

  constructor(private readonly script: (task: FakeTask) => FakeScript) {}

  get running(): number {
    return this.#running;
  }

  missing(): Promise<string | null> {
    return Promise.resolve(null);
  }

  start(launch: ExecutorLaunch): ExecutorTask {
    const task = new FakeTask(launch);
    this.tasks.push(task);
    this.#running += 1;
    this.maxRunning = Math.max(this.maxRunning, this.#running);
    void task.end.then(() => {
      this.#running -= 1;
    });
    for (const waiter of this.#waiters.filter((w) => w.match(task))) {
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      waiter.resolve(task);
    }
    // On a later turn, as a process would: orch has the task in hand first.
    setImmediate(() => void this.script(task)(task));
    return task.view();
  }

  cleanupLeftovers(): Promise<void> {
    return Promise.resolve();
  }

  /** Resolves with attempt `attempt` of `node` once it has started. */
  started(node: string, attempt = 1): Promise<FakeTask> {
    const match = (t: FakeTask) => t.node === node && t.attempt === attempt;
    const found = this.tasks.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => this.#waiters.push({ match, resolve }));
  }
}

/** Every node of the run on `executor`. */
export const fakeExecutors = (executor: FakeExecutor): ExecutorSet => ({
  executorFor: () => executor,
  close: () => {},
});
