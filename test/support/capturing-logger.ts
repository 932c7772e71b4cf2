import { inspect } from 'node:util';
import type { LoggerService } from '@nestjs/common';

/** One captured log call. */
export interface CapturedLine {
  level: string;
  /** Nest's context argument (the last string argument of a call with more than one). */
  context?: string;
  /** The first argument as text. */
  message: string;
  /** Every argument as text, errors with their stacks, objects fully inspected. */
  text: string;
}

/**
 * A Nest `LoggerService` that keeps every log call, for tests that assert on log output (and on
 * what must never be in it). Pass it to `builder.setLogger()` or `NestFactory.create(..., { logger })`.
 *
 * @example
 * const logger = new CapturingLogger();
 * const app = await createLockApp(options, [], [], logger);
 * expect(logger.texts().join('\n')).not.toContain(password);
 */
export class CapturingLogger implements LoggerService {
  readonly lines: CapturedLine[] = [];

  private add(level: string, args: unknown[]): void {
    const context =
      args.length > 1 && typeof args[args.length - 1] === 'string' ? (args[args.length - 1] as string) : undefined;
    const text = args
      .map((a) =>
        a instanceof Error ? `${a.message}\n${a.stack}` : typeof a === 'string' ? a : inspect(a, { depth: 10 }),
      )
      .join(' | ');
    this.lines.push({ level, context, message: String(args[0]), text });
  }

  log(...args: unknown[]) {
    this.add('log', args);
  }
  error(...args: unknown[]) {
    this.add('error', args);
  }
  warn(...args: unknown[]) {
    this.add('warn', args);
  }
  debug(...args: unknown[]) {
    this.add('debug', args);
  }
  verbose(...args: unknown[]) {
    this.add('verbose', args);
  }
  fatal(...args: unknown[]) {
    this.add('fatal', args);
  }

  /** The full text of every captured call. */
  texts(): string[] {
    return this.lines.map((l) => l.text);
  }
}
