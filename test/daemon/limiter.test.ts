import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Limiter } from "../../src/daemon/limiter.js";

describe("the --max-tasks limiter", () => {
  it("never lets more than its limit hold a slot, and serves every waiter in order", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 12 }),
        async (limit, holders) => {
          const limiter = new Limiter(limit);
          let held = 0;
          let most = 0;
          const order: number[] = [];
          await Promise.all(
            Array.from({ length: holders }, async (_, i) => {
              const release = await limiter.acquire();
              order.push(i);
              held += 1;
              most = Math.max(most, held);
              await Promise.resolve();
              held -= 1;
              release();
              release(); // a second release gives nothing back
            }),
          );
          expect(most).toBeLessThanOrEqual(limit);
          expect(order).toEqual(Array.from({ length: holders }, (_, i) => i));
        },
      ),
    );
  });
});
