/** A redis-server process started by {@link startRedisServer}; only its own `stop()` ends it. */
export interface RedisServer {
  readonly port: number;
  readonly pid: number;
  /** `127.0.0.1:<port>`, the form `RedisLockModule.forRoot({ addrs })` takes. */
  readonly addr: string;
  /** SIGTERM by pid (SIGKILL after 3 s), resolves once the process has exited. */
  stop(): Promise<void>;
}

/**
 * Spawns `redis-server --port P --save '' --appendonly no` on a free 127.0.0.1 port (never 6379)
 * and resolves once it answers PING.
 */
export function startRedisServer(): Promise<RedisServer>;

/** Sends `count` POSTs to `url` at once; resolves with every answer's status and JSON body. */
export function postConcurrently(url: string, count: number): Promise<Array<{ status: number; body: any }>>;
