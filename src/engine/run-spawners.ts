import { Spawner, warmStarter } from "./spawner.js";

/**
 * The processes that start a run's local tasks: the spawner for cold starts, and a
 * warm starter, started on the first warm task, for tasks marked `warm`.
 */
export class RunSpawners {
  readonly #cold: Spawner;
  #warm: Spawner | null = null;

  constructor(
    private readonly python: string,
    /** The workflow's folder: where the warm starter imports `preload` from. */
    private readonly dir: string,
    /** The tasks' environment, SDK on PYTHONPATH: the warm starter's own. */
    private readonly env: Readonly<Record<string, string | undefined>>,
    private readonly preload: readonly string[],
  ) {
    this.#cold = new Spawner(python);
  }

  for(warm: boolean): Spawner {
    if (!warm) return this.#cold;
    this.#warm ??= new Spawner(this.python, warmStarter(this.preload, this.dir, this.env));
    return this.#warm;
  }

  close(): void {
    this.#cold.close();
    this.#warm?.close();
  }
}
