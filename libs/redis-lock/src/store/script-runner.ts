import type { ChainableCommander } from 'ioredis';
import type { LuaScript } from './lua/lock-scripts.js';
import type { RedisLikeClient } from './redis-client.js';
import type { WriteCoalescer } from './write-coalescer.js';

const isNoScript = (error: unknown): boolean => error instanceof Error && error.message.startsWith('NOSCRIPT');

/**
 * Runs constant Lua scripts by EVALSHA and falls back to EVAL when the server (or a Cluster node,
 * or a freshly promoted replica) has not cached them. Works for any ioredis client, including one
 * the application created, without `defineCommand` (which Sentinel failover drops, ioredis #1081).
 */
export class ScriptRunner {
  /** `writes`: coalesces the socket writes of calls made in one turn (see write-coalescer.ts). */
  constructor(
    private readonly client: RedisLikeClient,
    private readonly writes?: WriteCoalescer,
  ) {}

  /** EVALSHA, then EVAL on NOSCRIPT. */
  async run(script: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    this.writes?.hold();
    try {
      return await this.client.evalsha(script.sha, script.keys, ...keys, ...args);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return this.client.eval(script.body, script.keys, ...keys, ...args);
    }
  }

  /**
   * Many calls of one script in a single pipeline (one round trip); calls that met NOSCRIPT are
   * re-sent with EVAL. Returns one result or Error per call, in order.
   */
  async runMany(
    script: LuaScript,
    calls: readonly { keys: readonly string[]; args: readonly (string | number)[] }[],
  ): Promise<(unknown | Error)[]> {
    const pipe: ChainableCommander = this.client.pipeline();
    for (const call of calls) pipe.evalsha(script.sha, script.keys, ...call.keys, ...call.args);
    const replies = (await pipe.exec()) ?? [];
    return Promise.all(
      calls.map(async (call, i) => {
        const [error, value] = replies[i] ?? [new Error('no reply'), undefined];
        if (!error) return value;
        if (!isNoScript(error)) return error;
        return this.client.eval(script.body, script.keys, ...call.keys, ...call.args).catch((e: Error) => e);
      }),
    );
  }

  /** SCRIPT LOAD every script on the connected node(s). */
  async load(scripts: readonly LuaScript[]): Promise<void> {
    const nodes =
      'nodes' in this.client && typeof this.client.nodes === 'function' ? this.client.nodes('master') : [this.client];
    await Promise.all(nodes.map((node) => Promise.all(scripts.map((s) => node.script('LOAD', s.body)))));
  }

  /** Whether every script is cached on the connected node(s). */
  async loaded(scripts: readonly LuaScript[]): Promise<boolean> {
    const nodes =
      'nodes' in this.client && typeof this.client.nodes === 'function' ? this.client.nodes('master') : [this.client];
    const answers = await Promise.all(
      nodes.map((node) => node.script('EXISTS', ...scripts.map((s) => s.sha)) as Promise<number[]>),
    );
    return answers.every((flags) => flags.every((flag) => flag === 1));
  }
}
