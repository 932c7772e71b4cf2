/**
 * The demo's own settings, from the environment (the lock settings come from `config.yaml`).
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | `PORT` | `3000` | HTTP port |
 * | `REDIS_URL` | `lynx.redis.addrs[0]` of config.yaml | Redis to use; a private redis-server is started when it does not answer |
 * | `INSTANCE_ID` | `demo-<PORT>` | this instance's id (shown as the owner of its locks) |
 * | `DEMO_CONFIG` | `apps/demo/config.yaml` | the YAML file in the seed's `lynx.redis` shape |
 * | `DEMO_ITEMS` | `10` | number of inventory items (`item-1` … `item-N`) |
 * | `DEMO_INITIAL_STOCK` | `100` | stock of each item when the inventory is (re)set |
 * | `REPORT_CRON` | `*／5 * * * * *` | schedule of the locked report job (six fields, seconds first) |
 * | `REPORT_LOCK_AT_LEAST` | `3s` | `lockAtLeastFor` of the report job (keep it below the period) |
 */
export const demoSettings = {
  port: Number(process.env.PORT ?? 3000),
  instanceId: process.env.INSTANCE_ID ?? `demo-${process.env.PORT ?? 3000}`,
  items: Number(process.env.DEMO_ITEMS ?? 10),
  initialStock: Number(process.env.DEMO_INITIAL_STOCK ?? 100),
  reportCron: process.env.REPORT_CRON ?? '*/5 * * * * *',
  reportLockAtLeast: process.env.REPORT_LOCK_AT_LEAST ?? '3s',
};

/** `item-1` … `item-N`. */
export const itemIds = (): string[] => Array.from({ length: demoSettings.items }, (_, i) => `item-${i + 1}`);
