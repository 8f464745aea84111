import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { Secret } from '../common/secret';
import { duration, integer, list, optional, parseHost, refuse, SECRET, url, withDefault } from './config-parsers';

export interface RedisNode {
  host: string;
  port: number;
}

/** Credentials and TLS of the data nodes (and of a Sentinel's primary and replicas). */
export interface RedisAuth {
  username: string | null;
  password: Secret | null;
  /** PEM of the CA that signed the servers' certificates; TLS is on when set (or with rediss://). */
  tlsCa: string | null;
}

/** Where sessions, keyrings and limit counts live: exactly one topology, or none (the in-process store). */
export type RedisTopology =
  | { kind: 'standalone'; url: string; tls: boolean; auth: RedisAuth }
  | { kind: 'sentinel'; sentinels: RedisNode[]; name: string; sentinelPassword: Secret | null; auth: RedisAuth }
  | { kind: 'cluster'; nodes: RedisNode[]; auth: RedisAuth };

export interface RedisSettings {
  topology: RedisTopology | null;
  /**
   * Replicas that must confirm a key set (WAIT) before it is acknowledged; 0 trusts the primary
   * alone. Sentinel deployments have replicas by definition, so they default to 1.
   */
  replicaAcks: number;
  replicaAckTimeoutMs: number;
}

const NODES_RULE = 'expected host:port entries, comma-separated';

const redisNode = z.string().transform((entry, ctx): RedisNode => {
  const host = parseHost(entry);
  if (!host || host.port === undefined) {
    ctx.addIssue(NODES_RULE);
    return z.NEVER;
  }
  return { host: host.hostname.replace(/^\[(.*)\]$/, '$1'), port: host.port };
});
const REDIS_NODES = list(z.array(redisNode).min(1, NODES_RULE));

export const REDIS_SETTINGS = {
  REDIS_URL: optional(
    url(['redis:', 'rediss:']),
    'redis:// or rediss:// URL of the shared session store; without it sessions live in this process only.',
  ),
  REDIS_TLS_CA_FILE: optional(z.string(), 'PEM file of the CA that signed the Redis servers’ certificates; turns TLS on for every topology.'),
  REDIS_SENTINELS: optional(REDIS_NODES, 'Redis Sentinel: comma-separated host:port of the sentinels (instead of REDIS_URL).'),
  REDIS_SENTINEL_NAME: optional(z.string(), 'Redis Sentinel: the name the sentinels monitor the primary under.'),
  REDIS_SENTINEL_PASSWORD: optional(SECRET, 'Redis Sentinel: the sentinels’ own password, when they require one.'),
  REDIS_CLUSTER_NODES: optional(REDIS_NODES, 'Redis Cluster: comma-separated host:port of some cluster nodes (instead of REDIS_URL).'),
  REDIS_USERNAME: optional(z.string(), 'Sentinel or Cluster: the ACL user of the data nodes.'),
  REDIS_PASSWORD: optional(SECRET, 'Sentinel or Cluster: the password of the data nodes (the primary and its replicas).'),
  REDIS_REPLICA_ACKS: optional(
    integer(0, 16),
    'Replicas that must confirm a key set (WAIT) before it is acknowledged; when fewer answer in time the set fails with 503.',
    '1 with Sentinel, else 0',
  ),
  REDIS_REPLICA_ACK_TIMEOUT: withDefault('1s', duration(10), 'How long a key set waits for the replicas of REDIS_REPLICA_ACKS.'),
};

type RedisEnv = z.output<z.ZodObject<typeof REDIS_SETTINGS>>;

const TOPOLOGY_SETTINGS = ['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'] as const;

/** The cross-setting rules: one topology at most, and only the companions that topology uses. */
export function readRedisSettings(env: RedisEnv, ctx: z.RefinementCtx): RedisSettings {
  const given = TOPOLOGY_SETTINGS.filter((name) => env[name] !== undefined);
  if (given.length > 1) {
    return refuse(ctx, given[1], `set only one of ${TOPOLOGY_SETTINGS.join(', ')}: they name different Redis topologies`);
  }
  const topology = readTopology(env, ctx);
  return {
    topology,
    replicaAcks: env.REDIS_REPLICA_ACKS ?? (topology?.kind === 'sentinel' ? 1 : 0),
    replicaAckTimeoutMs: env.REDIS_REPLICA_ACK_TIMEOUT,
  };
}

function readTopology(env: RedisEnv, ctx: z.RefinementCtx): RedisTopology | null {
  const { REDIS_URL: url, REDIS_SENTINELS: sentinels, REDIS_CLUSTER_NODES: nodes, REDIS_SENTINEL_NAME: name } = env;
  if (url !== undefined) {
    for (const companion of ['REDIS_PASSWORD', 'REDIS_USERNAME'] as const) {
      if (env[companion] !== undefined) {
        return refuse(ctx, companion, 'is part of REDIS_URL with a standalone Redis (redis://user:password@host)');
      }
    }
    const tlsCa = readCa(env, ctx);
    const tls = new URL(url).protocol === 'rediss:' || tlsCa !== null;
    return { kind: 'standalone', url, tls, auth: { username: null, password: null, tlsCa } };
  }
  if (sentinels !== undefined) {
    if (name === undefined) {
      return refuse(ctx, 'REDIS_SENTINEL_NAME', 'is required with REDIS_SENTINELS: the name the sentinels monitor the primary under');
    }
    return { kind: 'sentinel', sentinels, name, sentinelPassword: env.REDIS_SENTINEL_PASSWORD ?? null, auth: readAuth(env, ctx) };
  }
  if (nodes !== undefined) {
    if (name !== undefined) return refuse(ctx, 'REDIS_SENTINEL_NAME', 'applies to REDIS_SENTINELS only');
    return { kind: 'cluster', nodes, auth: readAuth(env, ctx) };
  }
  for (const companion of ['REDIS_SENTINEL_NAME', 'REDIS_SENTINEL_PASSWORD', 'REDIS_PASSWORD', 'REDIS_USERNAME'] as const) {
    if (env[companion] !== undefined) return refuse(ctx, companion, 'needs REDIS_SENTINELS or REDIS_CLUSTER_NODES');
  }
  return null;
}

function readAuth(env: RedisEnv, ctx: z.RefinementCtx): RedisAuth {
  return { username: env.REDIS_USERNAME ?? null, password: env.REDIS_PASSWORD ?? null, tlsCa: readCa(env, ctx) };
}

/** Read only once a topology is set: the CA is of no use to the in-process store. */
function readCa(env: RedisEnv, ctx: z.RefinementCtx): string | null {
  if (env.REDIS_TLS_CA_FILE === undefined) return null;
  try {
    return readFileSync(env.REDIS_TLS_CA_FILE, 'utf8');
  } catch {
    return refuse(ctx, 'REDIS_TLS_CA_FILE', 'cannot be read (expected a PEM file the API process may read)');
  }
}
