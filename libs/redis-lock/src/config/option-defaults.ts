/**
 * Every default of the module's options, in one place. The lock defaults are the seed's
 * (`30s`, `100ms`, 3 retries, renewal on at 0.5 of the TTL, checked every `10s`).
 */
export const OPTION_DEFAULTS = {
  addrs: ['127.0.0.1:6379'],
  db: 0,
  keyPrefix: 'lynx:lock:',
  name: 'default',
  lock: {
    defaultTimeout: '30s',
    defaultRetryInterval: '100ms',
    maxRetries: 3,
    renewalEnabled: true,
    renewalThreshold: 0.5,
    renewalInterval: '10s',
    commandTimeout: '2s',
    maxHoldTime: '30m',
    fair: true,
    fence: false,
    circuitBreaker: { enabled: true, failureThreshold: 5, resetTimeout: '1s' },
    retryStrategy: {
      type: 'exponential_backoff',
      maxInterval: '5s',
      multiplier: 2,
      maxElapsedTime: '30s',
    },
  },
  monitoring: { enableMetrics: false, metricsPath: '/metrics', healthCheckInterval: '30s' },
  logging: { level: 'WARN' },
  shutdown: { gracePeriod: '10s' },
  admin: { enabled: false },
} as const;
