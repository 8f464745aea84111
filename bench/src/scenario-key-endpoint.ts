import autocannon from 'autocannon';
import { API_ROUTES } from '@byok/contracts';
import { round } from './histogram';
import type { ProbedProcess } from './processes';
import type { BenchSession } from './sessions';

export interface EndpointRun {
  path: string;
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  non2xx: number;
  errors: number;
  /** CPU time the API process(es) spent per request (user + system), in µs. */
  apiCpuMicrosPerRequest: number;
}

export interface KeyEndpointResult {
  connections: number;
  durationSeconds: number;
  rounds: number;
  health: EndpointRun;
  keys: EndpointRun;
  /** Key listing req/s as a share of the bare route's. */
  share: number;
}

const DURATION_S = 4;

async function cannon(url: string, path: string, sessions: BenchSession[], connections: number, duration: number, apis: ProbedProcess[]): Promise<EndpointRun> {
  const cpuBefore = await cpuOf(apis);
  const run = await load(url, path, sessions, connections, duration);
  const cpuMicros = (await cpuOf(apis)) - cpuBefore;
  const requests = run.requestsPerSecond * duration;
  return { ...run, apiCpuMicrosPerRequest: requests > 0 ? Math.round(cpuMicros / requests) : 0 };
}

async function cpuOf(apis: ProbedProcess[]): Promise<number> {
  const readings = await Promise.all(apis.map((api) => api.cpuMicros()));
  return readings.reduce((sum, reading) => sum + reading, 0);
}

function load(url: string, path: string, sessions: BenchSession[], connections: number, duration: number): Promise<Omit<EndpointRun, 'apiCpuMicrosPerRequest'>> {
  let next = 0;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `${url}${path}`,
        connections,
        duration,
        // Each connection is its own signed-in user, as many browsers would be.
        setupClient: (client) => client.setHeaders({ cookie: sessions[next++ % sessions.length].cookie }),
      },
      (error, result) => {
        if (error) {
          reject(error);
          return;
        }
        resolve({
          path,
          requestsPerSecond: round(result.requests.average, 1),
          latencyP50Ms: result.latency.p50,
          latencyP99Ms: result.latency.p99,
          non2xx: result.non2xx,
          errors: result.errors + result.timeouts,
        });
      },
    );
  });
}

function merge(runs: EndpointRun[]): EndpointRun {
  const mean = (pick: (run: EndpointRun) => number): number => round(runs.reduce((sum, run) => sum + pick(run), 0) / runs.length, 2);
  return {
    path: runs[0].path,
    requestsPerSecond: mean((run) => run.requestsPerSecond),
    latencyP50Ms: mean((run) => run.latencyP50Ms),
    latencyP99Ms: mean((run) => run.latencyP99Ms),
    apiCpuMicrosPerRequest: Math.round(mean((run) => run.apiCpuMicrosPerRequest)),
    non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
  };
}

/** (d) The key listing (Redis-backed session, CSRF cookie) against the bare health route, alternating. */
export async function measureKeyEndpoint(url: string, sessions: BenchSession[], apis: ProbedProcess[], connections = 10, rounds = 2): Promise<KeyEndpointResult> {
  await load(url, API_ROUTES.health, sessions, connections, 1);
  await load(url, API_ROUTES.providerKeys, sessions, connections, 1);
  const health: EndpointRun[] = [];
  const keys: EndpointRun[] = [];
  for (let index = 0; index < rounds; index += 1) {
    health.push(await cannon(url, API_ROUTES.health, sessions, connections, DURATION_S, apis));
    keys.push(await cannon(url, API_ROUTES.providerKeys, sessions, connections, DURATION_S, apis));
  }
  const merged = { health: merge(health), keys: merge(keys) };
  return {
    connections,
    durationSeconds: DURATION_S,
    rounds,
    ...merged,
    share: round(merged.keys.requestsPerSecond / merged.health.requestsPerSecond),
  };
}
