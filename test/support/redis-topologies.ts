import { Redis } from 'ioredis';
import { freePort, startRedisServer, type RedisServer } from './redis-server.js';

/** Start a replica's first full sync at once (Redis 7 waits 5 s by default to batch diskless syncs). */
const FAST_SYNC = ['--repl-diskless-sync-delay', '0'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 100 ms until it returns true; fails with `what` after `timeoutMs`. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`,
      );
    await sleep(100);
  }
}

/** A one-off command on a server the harness started. */
export async function command(port: number, ...args: (string | number)[]): Promise<unknown> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: true,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.call(String(args[0]), ...args.slice(1).map(String));
  } finally {
    client.disconnect();
  }
}

const infoField = (info: string, field: string): string | undefined =>
  new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();

// ---------------------------------------------------------------------------------------------
// Cluster

/** One node of a {@link RedisClusterTopology}. */
export interface ClusterNode {
  server: RedisServer;
  busPort: number;
  id: string;
}

/** A private Redis Cluster on loopback. */
export interface RedisClusterTopology {
  nodes: ClusterNode[];
  /** `host:port` of every node, masters first (the start-up list for ioredis). */
  addrs: string[];
  /** Current role of every node, from the node itself. */
  roles(): Promise<{ node: ClusterNode; role: 'master' | 'slave' }[]>;
  /** The node currently serving `key`'s slot as master. */
  masterOf(key: string): Promise<ClusterNode>;
  /** Graceful manual failover: `CLUSTER FAILOVER` on `replica`, waits until it is master and the cluster is ok. */
  failover(replica: ClusterNode): Promise<void>;
  /** Waits until every running node reports `cluster_state:ok` and agrees on the masters. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Options of {@link startCluster}. */
export interface ClusterStartOptions {
  /** @default 3 */
  masters?: number;
  /** Replicas per master. @default 0 */
  replicasPerMaster?: number;
  /** `cluster-node-timeout`. @default 2000 */
  nodeTimeoutMs?: number;
  /** Extra redis-server arguments for every node (e.g. `--requirepass`). */
  args?: string[];
}

/**
 * Starts a Redis Cluster (`masters` × (1 + `replicasPerMaster`) nodes) on free loopback ports, with
 * the slots split evenly, and waits until it is ok and the replicas are in sync. The cluster bus
 * uses its own free port (`cluster-port`), so node ports can be anywhere.
 *
 * @example
 * const cluster = await startCluster({ masters: 3, replicasPerMaster: 1 });
 * afterAll(() => cluster.stop());
 */
export async function startCluster(options: ClusterStartOptions = {}): Promise<RedisClusterTopology> {
  const masters = options.masters ?? 3;
  const perMaster = options.replicasPerMaster ?? 0;
  const total = masters * (1 + perMaster);
  const nodeTimeout = options.nodeTimeoutMs ?? 2000;
  const nodes: ClusterNode[] = [];
  try {
    // Start sequentially: free ports are only free until someone binds them.
    for (let i = 0; i < total; i++) {
      const busPort = await freePort();
      const server = await startRedisServer({
        args: [
          ...FAST_SYNC,
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          '--cluster-node-timeout',
          String(nodeTimeout),
          '--cluster-port',
          String(busPort),
          ...(options.args ?? []),
        ],
      });
      nodes.push({ server, busPort, id: String(await command(server.port, 'CLUSTER', 'MYID')) });
    }
    const slotsPer = Math.ceil(16384 / masters);
    for (let i = 0; i < total; i++) await command(nodes[i].server.port, 'CLUSTER', 'SET-CONFIG-EPOCH', i + 1);
    for (let m = 0; m < masters; m++) {
      await command(
        nodes[m].server.port,
        'CLUSTER',
        'ADDSLOTSRANGE',
        m * slotsPer,
        Math.min(16383, (m + 1) * slotsPer - 1),
      );
    }
    for (let i = 1; i < total; i++)
      await command(nodes[0].server.port, 'CLUSTER', 'MEET', '127.0.0.1', nodes[i].server.port, nodes[i].busPort);
    const knowsAll = async (node: ClusterNode) => {
      const text = String(await command(node.server.port, 'CLUSTER', 'NODES'));
      const lines = text.trim().split('\n');
      return lines.length === total && !/handshake|noaddr/.test(text);
    };
    await waitUntil('every cluster node to know every other', async () =>
      (await Promise.all(nodes.map(knowsAll))).every(Boolean),
    );
    for (let r = masters; r < total; r++) {
      const master = nodes[(r - masters) % masters];
      await command(nodes[r].server.port, 'CLUSTER', 'REPLICATE', master.id);
    }
  } catch (error) {
    await Promise.all(nodes.map((n) => n.server.stop()));
    throw error;
  }

  const topology: RedisClusterTopology = {
    nodes,
    addrs: nodes.map((n) => `127.0.0.1:${n.server.port}`),
    async roles() {
      const running = nodes.filter((n) => n.server.running);
      return Promise.all(
        running.map(async (node) => {
          const role = (await command(node.server.port, 'ROLE')) as [string];
          return { node, role: role[0] === 'master' ? ('master' as const) : ('slave' as const) };
        }),
      );
    },
    async masterOf(key: string) {
      const running = nodes.find((n) => n.server.running)!;
      const slot = Number(await command(running.server.port, 'CLUSTER', 'KEYSLOT', key));
      const slots = (await command(running.server.port, 'CLUSTER', 'SLOTS')) as [
        number,
        number,
        [string, number, string],
      ][];
      const range = slots.find(([from, to]) => slot >= from && slot <= to);
      if (!range) throw new Error(`no node serves slot ${slot}`);
      const node = nodes.find((n) => n.server.port === Number(range[2][1]));
      if (!node) throw new Error(`unknown node on port ${range[2][1]}`);
      return node;
    },
    async failover(replica: ClusterNode) {
      await command(replica.server.port, 'CLUSTER', 'FAILOVER');
      await waitUntil(
        `node ${replica.server.port} to become master`,
        async () => ((await command(replica.server.port, 'ROLE')) as [string])[0] === 'master',
      );
      await topology.waitHealthy();
    },
    async waitHealthy(timeoutMs = 20_000) {
      await waitUntil(
        'cluster_state:ok on every node, with every replica in sync',
        async () => {
          for (const node of nodes.filter((n) => n.server.running)) {
            if (infoField(String(await command(node.server.port, 'CLUSTER', 'INFO')), 'cluster_state') !== 'ok')
              return false;
            const replication = String(await command(node.server.port, 'INFO', 'replication'));
            if (infoField(replication, 'role') === 'slave' && infoField(replication, 'master_link_status') !== 'up')
              return false;
          }
          // Every node must see the same set of masters (a failover propagates over the bus).
          const views = await Promise.all(
            nodes
              .filter((n) => n.server.running)
              .map(async (n) =>
                String(await command(n.server.port, 'CLUSTER', 'NODES'))
                  .trim()
                  .split('\n')
                  .filter((l) => / master /.test(l.replace(/myself,/, '')) && !/fail/.test(l))
                  .map((l) => l.split(' ')[0])
                  .sort()
                  .join(','),
              ),
          );
          return new Set(views).size === 1 && views[0].split(',').length === masters;
        },
        timeoutMs,
      );
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.server.stop()));
    },
  };
  await topology.waitHealthy();
  return topology;
}

// ---------------------------------------------------------------------------------------------
// Sentinel

/** A master, its replicas and a group of Sentinels, all private. */
export interface SentinelTopology {
  masterName: string;
  /** Data nodes: `[initial master, ...replicas]`. */
  dataNodes: RedisServer[];
  sentinels: RedisServer[];
  /** `host:port` of every Sentinel. */
  sentinelAddrs: string[];
  /** Port of the master the Sentinels currently announce. */
  currentMasterPort(): Promise<number>;
  /** `SENTINEL FAILOVER`, then waits until a new master is announced, runs as master and has a replica in sync. */
  failover(): Promise<{ from: number; to: number }>;
  stop(): Promise<void>;
}

/** Options of {@link startSentinel}. */
export interface SentinelStartOptions {
  /** @default 1 */
  replicas?: number;
  /** @default 3 */
  sentinels?: number;
  /** @default 'mymaster' */
  masterName?: string;
  /** `down-after-milliseconds`. @default 1000 */
  downAfterMs?: number;
}

/**
 * Starts one master, `replicas` replicas and `sentinels` Sentinels (`redis-server --sentinel` with a
 * writable config file in each server's own temp dir), and waits until every Sentinel knows the
 * replicas and the other Sentinels, so a failover can start at once.
 *
 * @example
 * const s = await startSentinel(); // 1 master, 1 replica, 3 sentinels
 * RedisLockModule.forRoot({ mode: 'sentinel', sentinels: s.sentinelAddrs, masterName: s.masterName });
 */
export async function startSentinel(options: SentinelStartOptions = {}): Promise<SentinelTopology> {
  const masterName = options.masterName ?? 'mymaster';
  const replicaCount = options.replicas ?? 1;
  const sentinelCount = options.sentinels ?? 3;
  const quorum = Math.floor(sentinelCount / 2) + 1;
  const dataNodes: RedisServer[] = [];
  const sentinels: RedisServer[] = [];
  try {
    dataNodes.push(await startRedisServer({ args: FAST_SYNC }));
    const masterPort = dataNodes[0].port;
    for (let i = 0; i < replicaCount; i++)
      dataNodes.push(await startRedisServer({ args: [...FAST_SYNC, '--replicaof', '127.0.0.1', String(masterPort)] }));
    await waitUntil('replicas in sync', async () => {
      for (const replica of dataNodes.slice(1)) {
        if (infoField(String(await command(replica.port, 'INFO', 'replication')), 'master_link_status') !== 'up')
          return false;
      }
      return true;
    });
    const config = [
      `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} ${quorum}`,
      `sentinel down-after-milliseconds ${masterName} ${options.downAfterMs ?? 1000}`,
      `sentinel failover-timeout ${masterName} 5000`,
      `sentinel parallel-syncs ${masterName} 1`,
      '',
    ].join('\n');
    for (let i = 0; i < sentinelCount; i++) sentinels.push(await startRedisServer({ config, sentinel: true }));
    await waitUntil(
      'every Sentinel to know the replicas and the other Sentinels',
      async () => {
        for (const s of sentinels) {
          const flat = (await command(s.port, 'SENTINEL', 'MASTER', masterName)) as string[];
          const info = Object.fromEntries(flat.flatMap((v, i) => (i % 2 === 0 ? [[v, flat[i + 1]]] : [])));
          if (Number(info['num-slaves']) < replicaCount || Number(info['num-other-sentinels']) < sentinelCount - 1)
            return false;
        }
        return true;
      },
      30_000,
    );
  } catch (error) {
    await Promise.all([...sentinels, ...dataNodes].map((s) => s.stop()));
    throw error;
  }

  const currentMasterPort = async () =>
    Number(
      ((await command(sentinels[0].port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName)) as [string, string])[1],
    );
  return {
    masterName,
    dataNodes,
    sentinels,
    sentinelAddrs: sentinels.map((s) => `127.0.0.1:${s.port}`),
    currentMasterPort,
    async failover() {
      const from = await currentMasterPort();
      // A Sentinel refuses a new failover right after start-up or another failover ("INPROG"/"NOGOODSLAVE"): retry.
      await waitUntil(
        'SENTINEL FAILOVER to be accepted',
        async () => (await command(sentinels[0].port, 'SENTINEL', 'FAILOVER', masterName)) === 'OK',
        15_000,
      );
      let to = from;
      await waitUntil(
        'the Sentinels to announce a new master that runs as master with a replica in sync',
        async () => {
          const ports = await Promise.all(
            sentinels.map(async (s) =>
              Number(
                ((await command(s.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName)) as [string, string])[1],
              ),
            ),
          );
          if (new Set(ports).size !== 1 || ports[0] === from) return false;
          to = ports[0];
          const replication = String(await command(to, 'INFO', 'replication'));
          return infoField(replication, 'role') === 'master';
        },
        20_000,
      );
      return { from, to };
    },
    async stop() {
      await Promise.all(sentinels.map((s) => s.stop()));
      await Promise.all(dataNodes.map((s) => s.stop()));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Redlock and replication

/** `count` independent masters (no replication), for Redlock. */
export async function startIndependentMasters(count: number, args: string[] = []): Promise<RedisServer[]> {
  const servers: RedisServer[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await startRedisServer({ args }));
  } catch (error) {
    await Promise.all(servers.map((s) => s.stop()));
    throw error;
  }
  return servers;
}

/** A master with `replicas` replicas (no Sentinel), waiting until every replica is in sync. */
export async function startReplicated(
  replicas = 1,
): Promise<{ master: RedisServer; replicas: RedisServer[]; stop(): Promise<void> }> {
  const master = await startRedisServer({ args: FAST_SYNC });
  const list: RedisServer[] = [];
  for (let i = 0; i < replicas; i++)
    list.push(await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(master.port)] }));
  await waitUntil('replicas in sync', async () => {
    for (const replica of list) {
      if (infoField(String(await command(replica.port, 'INFO', 'replication')), 'master_link_status') !== 'up')
        return false;
    }
    return true;
  });
  return {
    master,
    replicas: list,
    async stop() {
      await Promise.all([master, ...list].map((s) => s.stop()));
    },
  };
}
