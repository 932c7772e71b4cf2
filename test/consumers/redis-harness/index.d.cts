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

/** What {@link incrementConcurrently} saw. */
export interface ConcurrentIncrements {
  /** HTTP status of every POST, in request order. */
  statuses: number[];
  /** The `value` of every answer, ascending. */
  values: number[];
  /** Whether the answers' `fence` rises strictly in `values` order. */
  fencesRise: boolean;
  /** `value` of `GET /counter` once all answers are in. */
  final: number;
}

/**
 * Sends `count` POSTs to `${base}/counter/increment` at once (each answers `{ value, fence }`), then
 * reads `GET ${base}/counter`.
 */
export function incrementConcurrently(base: string, count: number): Promise<ConcurrentIncrements>;
