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

  it("hands a slot to tryAcquire only when one is free, never past its limit or ahead of a waiter", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.constantFrom("try", "wait", "release"), { maxLength: 30 }),
        async (limit, ops) => {
          const limiter = new Limiter(limit);
          const held: (() => void)[] = [];
          let waiting = 0;
          for (const op of ops) {
            if (op === "try") {
              const slot = limiter.tryAcquire();
              expect(slot === null).toBe(held.length === limit);
              if (slot !== null) held.push(slot);
            } else if (op === "wait") {
              waiting += 1;
              void limiter.acquire().then((slot) => {
                waiting -= 1;
                held.push(slot);
              });
            } else held.shift()?.();
            // Every grant made so far has reached its holder.
            await new Promise(setImmediate);
            expect(held.length).toBeLessThanOrEqual(limit);
            // A waiter is only left waiting while every slot is held.
            if (waiting > 0) expect(held.length).toBe(limit);
          }
        },
      ),
    );
  });
});
