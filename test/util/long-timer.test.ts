import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MAX_TIMER_MS, setLongTimeout, sleepLong } from "../../src/util/long-timer.js";

const DAY = 24 * 3600 * 1000;

describe("timers longer than Node's limit", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("fire when due, not before, however long the delay", () => {
    for (const ms of [1, MAX_TIMER_MS, MAX_TIMER_MS + 1, 2_200_000_000, 100 * DAY]) {
      const fn = vi.fn();
      setLongTimeout(fn, ms);
      vi.advanceTimersByTime(ms - 1);
      expect(fn, `${ms} ms`).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(fn, `${ms} ms`).toHaveBeenCalledOnce();
    }
  });

  it("cleared, never fire", () => {
    const fn = vi.fn();
    const timer = setLongTimeout(fn, 3 * MAX_TIMER_MS);
    vi.advanceTimersByTime(MAX_TIMER_MS + 5);
    timer.clear();
    vi.advanceTimersByTime(3 * MAX_TIMER_MS);
    expect(fn).not.toHaveBeenCalled();
  });

  it("a long sleep ends when aborted, with the reason", async () => {
    const controller = new AbortController();
    const sleeping = sleepLong(40 * DAY, controller.signal);
    vi.advanceTimersByTime(30 * DAY);
    controller.abort("stop");
    await expect(sleeping).rejects.toBe("stop");
  });
});
