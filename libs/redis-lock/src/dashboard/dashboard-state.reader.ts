import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { InvalidLockOptionsError } from '../errors/index.js';
import type { LockService } from '../lock/lock.service.js';
import { getLockServiceToken } from '../redis-lock.constants.js';
import type { ResolvedDashboardSettings } from './dashboard-options.js';
import { readDashboardState, type DashboardState } from './dashboard-state.js';

/** @internal Token of the dashboard's validated settings. */
export const DASHBOARD_SETTINGS = Symbol.for('@lynx-nest/redis-lock:dashboard-settings');

/**
 * Finds the `LockService` named in the settings (anywhere in the app, once every provider exists)
 * and reads the dashboard's state from it. Provided by `RedisLockDashboardModule`.
 *
 * @example
 * const state = await app.get(DashboardStateReader).read();
 */
@Injectable()
export class DashboardStateReader implements OnModuleInit {
  private locks?: LockService;

  constructor(
    @Inject(DASHBOARD_SETTINGS) private readonly settings: ResolvedDashboardSettings,
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
  ) {}

  /**
   * Looks the service up; fails start-up with `InvalidLockOptionsError` naming `service` when there
   * is none (Nest calls it).
   */
  onModuleInit(): void {
    const token = getLockServiceToken(this.settings.service);
    let found: LockService | undefined;
    try {
      found = this.moduleRef.get<LockService>(token, { strict: false }) ?? undefined;
    } catch {
      found = undefined;
    }
    if (!found) {
      const problem = `is "${this.settings.service}", but no RedisLockModule.forRoot() instance has that name`;
      throw new InvalidLockOptionsError([{ path: 'service', problem }], 'dashboard options');
    }
    this.locks = found;
  }

  /** One snapshot of the locks held now and this instance's statistics. */
  read(): Promise<DashboardState> {
    if (!this.locks) this.onModuleInit();
    return readDashboardState(this.locks!, this.settings);
  }
}
