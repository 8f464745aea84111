import { readFileSync } from 'node:fs';
import { Secret } from '../common/secret';
import { ConfigError } from './config-error';
import { type Env, parseDuration, parseHost, parseInteger, parseList, parseUrl, readSetting } from './config-parsers';

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

const TOPOLOGY_SETTINGS = ['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'] as const;

export function readRedisSettings(env: Env, defaults: (name: string) => string): RedisSettings {
  const given = TOPOLOGY_SETTINGS.filter((name) => readSetting(env, name));
  if (given.length > 1) {
    throw new ConfigError(given[1], `set only one of ${TOPOLOGY_SETTINGS.join(', ')}: they name different Redis topologies`);
  }
  const topology = readTopology(env, given[0]);
  const acks = readSetting(env, 'REDIS_REPLICA_ACKS');
  return {
    topology,
    replicaAcks: acks ? parseInteger('REDIS_REPLICA_ACKS', acks, 0, 16) : topology?.kind === 'sentinel' ? 1 : 0,
    replicaAckTimeoutMs: parseDuration('REDIS_REPLICA_ACK_TIMEOUT', defaults('REDIS_REPLICA_ACK_TIMEOUT'), 10),
  };
}

function readTopology(env: Env, setting: (typeof TOPOLOGY_SETTINGS)[number] | undefined): RedisTopology | null {
  if (setting === undefined) {
    for (const name of ['REDIS_SENTINEL_NAME', 'REDIS_SENTINEL_PASSWORD', 'REDIS_PASSWORD', 'REDIS_USERNAME']) {
      if (readSetting(env, name)) throw new ConfigError(name, `needs REDIS_SENTINELS or REDIS_CLUSTER_NODES`);
    }
    return null;
  }
  const value = readSetting(env, setting) ?? '';
  if (setting === 'REDIS_URL') {
    const url = parseUrl('REDIS_URL', value, ['redis:', 'rediss:'], true);
    for (const name of ['REDIS_PASSWORD', 'REDIS_USERNAME']) {
      if (readSetting(env, name)) throw new ConfigError(name, 'is part of REDIS_URL with a standalone Redis (redis://user:password@host)');
    }
    return { kind: 'standalone', url: value, tls: url.protocol === 'rediss:' || readCa(env) !== null, auth: { username: null, password: null, tlsCa: readCa(env) } };
  }
  const nodes = parseList(value).map((entry) => readNode(setting, entry));
  if (nodes.length === 0) throw new ConfigError(setting, 'expected host:port entries, comma-separated');
  const auth = readAuth(env);
  if (setting === 'REDIS_CLUSTER_NODES') {
    if (readSetting(env, 'REDIS_SENTINEL_NAME')) throw new ConfigError('REDIS_SENTINEL_NAME', 'applies to REDIS_SENTINELS only');
    return { kind: 'cluster', nodes, auth };
  }
  const name = readSetting(env, 'REDIS_SENTINEL_NAME');
  if (!name) throw new ConfigError('REDIS_SENTINEL_NAME', 'is required with REDIS_SENTINELS: the name the sentinels monitor the primary under');
  const sentinelPassword = readSetting(env, 'REDIS_SENTINEL_PASSWORD');
  return { kind: 'sentinel', sentinels: nodes, name, sentinelPassword: sentinelPassword ? new Secret(sentinelPassword) : null, auth };
}

function readAuth(env: Env): RedisAuth {
  const password = readSetting(env, 'REDIS_PASSWORD');
  return { username: readSetting(env, 'REDIS_USERNAME') ?? null, password: password ? new Secret(password) : null, tlsCa: readCa(env) };
}

function readCa(env: Env): string | null {
  const path = readSetting(env, 'REDIS_TLS_CA_FILE');
  if (!path) return null;
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError('REDIS_TLS_CA_FILE', 'cannot be read (expected a PEM file the API process may read)');
  }
}

function readNode(setting: string, entry: string): RedisNode {
  const host = parseHost(entry);
  if (!host || host.port === undefined) {
    throw new ConfigError(setting, `expected host:port entries, got "${entry}"`);
  }
  return { host: host.hostname.replace(/^\[(.*)\]$/, '$1'), port: host.port };
}
