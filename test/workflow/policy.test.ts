import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { resolvePolicy, retryDelay } from "../../src/workflow/policy.js";

describe("task policy", () => {
  it("takes a node's own fields over the run's defaults, and defaults to no timeout and no retries", () => {
    expect(resolvePolicy({}, {})).toMatchObject({ timeout: null, retries: 0 });
    expect(resolvePolicy({ retries: 2 }, { retries: 5, timeout: 3 })).toMatchObject({
      retries: 2,
      timeout: 3,
    });
  });

  it("waits retry_delay × backoff^(n−1), capped, without jitter", () => {
    const policy = resolvePolicy({ retry_delay: 1, backoff: 2, retry_delay_max: 5, jitter: 0 }, {});
    expect([1, 2, 3, 4, 5].map((n) => retryDelay(policy, n, 0.5))).toEqual([1, 2, 4, 5, 5]);
  });

  it("spreads each wait by at most ±jitter, never below zero", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 30 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (delay, backoff, jitter, failed, random) => {
          const policy = resolvePolicy(
            { retry_delay: delay, backoff, jitter, retry_delay_max: 1000 },
            {},
          );
          const base = Math.min(1000, delay * backoff ** (failed - 1));
          const wait = retryDelay(policy, failed, random);
          expect(wait).toBeGreaterThanOrEqual(0);
          expect(wait).toBeGreaterThanOrEqual(base * (1 - jitter) - 1e-9);
          expect(wait).toBeLessThanOrEqual(base * (1 + jitter) + 1e-9);
        },
      ),
    );
  });
});
