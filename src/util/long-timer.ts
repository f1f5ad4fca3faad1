/** The longest delay Node's timers take (~24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface LongTimer {
  clear(): void;
}

/** `setTimeout` for any delay: one longer than Node's limit is a chain of shorter ones. */
export const setLongTimeout = (fn: () => void, ms: number): LongTimer => {
  let timer: NodeJS.Timeout;
  const arm = (remaining: number): void => {
    timer = setTimeout(
      remaining > MAX_TIMER_MS ? () => arm(remaining - MAX_TIMER_MS) : fn,
      Math.min(remaining, MAX_TIMER_MS),
    );
  };
  arm(ms);
  return { clear: () => clearTimeout(timer) };
};

/** Wait `ms` (any length); rejects with the signal's reason when it aborts first. */
export const sleepLong = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      timer.clear();
      reject(signal.reason);
    };
    const timer = setLongTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
