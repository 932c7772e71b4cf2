/**
 * Resolves after `ms` milliseconds.
 *
 * @example
 * await sleep(20);
 */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` every 5 ms until it holds. A test's behaviour, not its timing: the limit only bounds
 * a hung test, and rejects with "condition not reached" when it runs out.
 *
 * @default limitMs 5000
 * @example
 * await until(() => lock.signal.aborted);
 */
export async function until(check: () => boolean | Promise<boolean>, limitMs = 5000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached');
    await sleep(5);
  }
}
