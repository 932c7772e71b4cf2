/**
 * One value per process, kept on `globalThis` under `Symbol.for('@lynx-nest/redis-lock/<name>')`,
 * so every copy of this package loaded in the process (the ESM build through `import`, the
 * CommonJS build through `require`, or two installed copies) shares it.
 *
 * @example
 * const services = processWide('lock-service-registry', () => new Map<string, LockService>());
 */
export function processWide<T>(name: string, create: () => T): T {
  const slots = globalThis as unknown as Record<symbol, T | undefined>;
  const key = Symbol.for(`@lynx-nest/redis-lock/${name}`);
  return (slots[key] ??= create());
}
