import { LockError } from './lock.error.js';

/** One rejected option: its dotted path and what is wrong with it. */
export interface OptionProblem {
  /** Dotted path of the field, e.g. `lock.renewalThreshold`. */
  path: string;
  /** What is wrong, e.g. `must be a number between 0 and 1 (exclusive)`. */
  problem: string;
}

/**
 * Options (module configuration or per-call `LockOptions`) were rejected. Every bad field is
 * listed at once in `problems` and in the message.
 *
 * @example
 * RedisLockModule.forRoot({ lock: { renewalThreshold: 2 } });
 * // start-up fails: Invalid lock options: lock.renewalThreshold must be ... (1 problem)
 */
export class InvalidLockOptionsError extends LockError {
  readonly code = 'invalid_options' as const;
  /** Every problem found. */
  readonly problems: readonly OptionProblem[];

  constructor(problems: OptionProblem[], source = 'lock options') {
    super(
      `Invalid ${source} (${problems.length} problem${problems.length === 1 ? '' : 's'}): ` +
        problems.map((p) => `${p.path} ${p.problem}`).join('; '),
    );
    this.problems = problems;
  }
}
