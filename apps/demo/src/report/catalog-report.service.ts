import { Inject, Injectable } from '@nestjs/common';
import { LockService, WithLock, currentLock, type LockHandle } from '@lynx-nest/redis-lock';
import { DEMO_STORE, type DemoStore } from '../data/demo-store.js';
import { Occupancy } from '../data/occupancy.js';
import { pause } from '../demo-hold.js';
import { demoSettings, itemIds } from '../demo-settings.js';

/** The read-write lock that guards the catalog: reports read under it, refreshes write under it. */
export const CATALOG_LOCK = 'catalog';
/** The catalog's version (the number of refreshes so far). */
export const CATALOG_VERSION_KEY = 'demo:catalog:version';
/** One catalog row per item; its value is the version of the refresh that wrote it. */
export const catalogRowKey = (itemId: string) => `demo:catalog:row:${itemId}`;
/** How many report builds are inside the read lock now (all instances). */
export const CATALOG_READERS_KEY = 'demo:catalog:readers';
/** How many refreshes are inside the write lock now (all instances; never more than 1). */
export const CATALOG_WRITERS_KEY = 'demo:catalog:writers';

/** Waiting options of both sides: queue for up to 20 s, then 409 (`LockAcquireTimeoutError`). */
const WAIT = { ttl: '10s', maxRetries: -1, maxElapsedTime: '20s' } as const;

/** What a report build or a refresh saw inside its lock. */
export interface CatalogSection {
  /** `'read'` for a report, `'write'` for a refresh (`currentLock().kind`). */
  kind: LockHandle['kind'];
  /** Fencing token: a refresh's is above every earlier token of `catalog`; reports share the current one. */
  fence: number;
  instance: string;
  /** Most report builds seen inside at once while this one was inside (itself included when it is a report). */
  readersInside: number;
  /** Most refreshes seen inside at once while this one was inside (itself included when it is a refresh). */
  writersInside: number;
  /** Wall-clock time the lock was held from / until (ms since epoch). */
  startedAt: number;
  endedAt: number;
}

/** A report: the catalog as one version, read under the read lock. */
export interface CatalogReport extends CatalogSection {
  version: number;
  /** Item → the version of the refresh that wrote its row. */
  rows: Record<string, number>;
  /** Every row has the catalog's version (a refresh is never half seen). */
  consistent: boolean;
}

/** A refresh: every row rewritten to a new version under the write lock. */
export interface CatalogRefresh extends CatalogSection {
  version: number;
  rows: number;
}

/**
 * A catalog that reports read often and refreshes rewrite row by row (not atomic: a report that
 * ran during a refresh would mix versions). The read-write lock `catalog` lets any number of
 * reports run at once, on every instance, and a refresh run alone: fair and writer-preferring, so
 * a steady stream of reports cannot starve a refresh.
 *
 * Reports use the decorator (`@WithLock(key, { mode: 'read' })`), refreshes the service
 * (`locks.withWriteLock`); both are the same lock.
 *
 * @example
 * const report = await catalog.report(0);
 * report.consistent; // true
 */
@Injectable()
export class CatalogReportService {
  private readonly readers: Occupancy;
  private readonly writers: Occupancy;

  constructor(
    @Inject(DEMO_STORE) private readonly store: DemoStore,
    private readonly locks: LockService,
  ) {
    this.readers = new Occupancy(store, CATALOG_READERS_KEY);
    this.writers = new Occupancy(store, CATALOG_WRITERS_KEY);
  }

  /**
   * Builds the report under the read lock (shared with other reports, never with a refresh), then
   * keeps it `holdMs` longer (to watch reports overlap).
   */
  @WithLock(CATALOG_LOCK, { mode: 'read', ...WAIT })
  async report(holdMs: number): Promise<CatalogReport> {
    const lock = currentLock()!;
    const startedAt = Date.now();
    const readersAtEntry = await this.readers.enter();
    try {
      const writersAtEntry = await this.writers.count();
      const version = (await this.store.get(CATALOG_VERSION_KEY)) ?? 0;
      const rows: Record<string, number> = {};
      for (const id of itemIds()) rows[id] = (await this.store.get(catalogRowKey(id))) ?? 0;
      await pause(holdMs, lock.signal);
      return {
        ...(await this.section(lock, startedAt, readersAtEntry, writersAtEntry)),
        version,
        rows,
        consistent: Object.values(rows).every((row) => row === version),
      };
    } finally {
      await this.readers.leave();
    }
  }

  /**
   * Rewrites every row to the next version under the write lock (no report, no other refresh at the
   * same time), spreading `holdMs` over the rows, and never writing after the lock was lost.
   */
  refresh(holdMs: number): Promise<CatalogRefresh> {
    return this.locks.withWriteLock(
      CATALOG_LOCK,
      async (lock) => {
        const startedAt = Date.now();
        const writersAtEntry = await this.writers.enter();
        try {
          const readersAtEntry = await this.readers.count();
          const version = ((await this.store.get(CATALOG_VERSION_KEY)) ?? 0) + 1;
          const ids = itemIds();
          for (const id of ids) {
            lock.signal.throwIfAborted(); // never write after the lock was lost
            await this.store.set(catalogRowKey(id), version);
            await pause(holdMs / ids.length, lock.signal); // the window a report without the lock would tear
          }
          await this.store.set(CATALOG_VERSION_KEY, version);
          return {
            ...(await this.section(lock, startedAt, readersAtEntry, writersAtEntry)),
            version,
            rows: ids.length,
          };
        } finally {
          await this.writers.leave();
        }
      },
      { ...WAIT, name: 'CatalogReportService.refresh' },
    );
  }

  /** What a report or a refresh saw inside its lock, read when it is about to leave. */
  private async section(
    lock: LockHandle,
    startedAt: number,
    readersAtEntry: number,
    writersAtEntry: number,
  ): Promise<CatalogSection> {
    return {
      kind: lock.kind,
      fence: await lock.getFence(),
      instance: demoSettings.instanceId,
      readersInside: Math.max(readersAtEntry, await this.readers.count()),
      writersInside: Math.max(writersAtEntry, await this.writers.count()),
      startedAt,
      endedAt: Date.now(),
    };
  }
}
