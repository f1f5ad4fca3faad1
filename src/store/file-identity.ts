import { statSync } from "node:fs";
import { databaseGone } from "./failures.js";

/**
 * Which file a path named when it was opened (device and inode): a database
 * removed or replaced under a running orch is noticed before the next write,
 * rather than written to an unlinked inode nobody will ever read.
 */
export class FileIdentity {
  private constructor(
    private readonly path: string,
    private readonly dev: number,
    private readonly ino: number,
  ) {}

  static of(path: string): FileIdentity {
    const stat = statSync(path);
    return new FileIdentity(path, stat.dev, stat.ino);
  }

  /** Throws a `StorageFailure` when the path no longer names the file that was opened. */
  check(): void {
    const stat = statSync(this.path, { throwIfNoEntry: false });
    if (stat === undefined) throw databaseGone(this.path, "removed");
    if (stat.dev !== this.dev || stat.ino !== this.ino) throw databaseGone(this.path, "replaced");
  }
}
