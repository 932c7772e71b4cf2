import { Logger } from '@nestjs/common';

const RANK = { debug: 0, info: 1, warn: 2, error: 3 } as const;

/**
 * Nest `Logger` filtered by `logging.level`. `debug` is checked before any message is built, so
 * the default level costs nothing on the lock path.
 */
export class LockLogger {
  private readonly logger = new Logger('RedisLock');
  readonly debugEnabled: boolean;
  private readonly rank: number;

  constructor(level: keyof typeof RANK) {
    this.rank = RANK[level];
    this.debugEnabled = this.rank <= RANK.debug;
  }

  debug(message: string): void {
    if (this.debugEnabled) this.logger.debug(message);
  }

  info(message: string): void {
    if (this.rank <= RANK.info) this.logger.log(message);
  }

  warn(message: string): void {
    if (this.rank <= RANK.warn) this.logger.warn(message);
  }

  error(message: string): void {
    this.logger.error(message);
  }
}
