import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus } from '@nestjs/common';
import { LockError } from '@lynx-nest/redis-lock';

const STATUS: Record<string, number> = {
  timeout: HttpStatus.CONFLICT, // busy: someone else held the lock for longer than we were willing to wait
  deadlock: HttpStatus.CONFLICT,
  not_held: HttpStatus.CONFLICT,
  lost: HttpStatus.CONFLICT,
  backend: HttpStatus.SERVICE_UNAVAILABLE, // Redis is down: a different problem from "busy"
  shutdown: HttpStatus.SERVICE_UNAVAILABLE,
  invalid_key: HttpStatus.BAD_REQUEST,
  invalid_options: HttpStatus.BAD_REQUEST,
};

/** Maps the library's typed errors to HTTP answers: busy → 409, Redis down → 503, bad input → 400. */
@Catch(LockError)
export class LockErrorFilter implements ExceptionFilter {
  catch(error: LockError, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<{ status(code: number): { json(body: unknown): void } }>();
    response.status(STATUS[error.code] ?? HttpStatus.INTERNAL_SERVER_ERROR).json({ error: error.name, code: error.code, message: error.message });
  }
}
