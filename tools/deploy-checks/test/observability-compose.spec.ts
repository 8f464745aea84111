import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { parse } from 'yaml';
import { labelNames, seriesNames } from './support/promql';
import { describeWithTool } from './support/required-tool';
import {
  apiMetricNames,
  COMPOSE_FILE,
  environmentOf,
  interpolatedVariables,
  isApiSetting,
  loadCompose,
  OBSERVABILITY_COMPOSE_FILE,
  readText,
  ROOT,
  type ComposeFile,
  type ComposeService,
  apiServiceNames,
} from './support/workspace';

const base = loadCompose();
const apiServices = apiServiceNames(base);
const observability = loadCompose(OBSERVABILITY_COMPOSE_FILE);
const services = observability.services;
const prometheus = services['prometheus'];
const grafana = services['grafana'];
const { METRIC_NAMES, EVENT_LOOP_LAG_METRIC } = apiMetricNames();

/** Histograms export no series under their own name, only these. */
const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'];
const API_HISTOGRAMS: string[] = [METRIC_NAMES['timeToFirstToken']];
/**
 * The labels the API's series carry (apps/api/src/metrics/metric-names.ts), `le` of histogram
 * buckets, and the target labels Prometheus adds.
 */
const KNOWN_LABELS = ['provider', 'transport', 'source', 'outcome', 'event', 'le', 'instance', 'job'];

interface ScrapeConfig {
  job_name: string;
  metrics_path?: string;
  scheme?: string;
  static_configs: { targets: string[] }[];
  relabel_configs?: { source_labels?: string[]; regex?: string; target_label?: string; replacement?: string }[];
}

interface GrafanaTarget {
  expr?: string;
  datasource?: { type?: string; uid?: string };
}

interface GrafanaPanel {
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: GrafanaTarget[];
  panels?: GrafanaPanel[];
}

interface GrafanaDashboard {
  uid: string;
  panels: GrafanaPanel[];
  templating?: { list: { name: string; datasource?: { uid?: string }; query?: { query?: string } | string }[] };
}

/** The `host:container[:ro]` bind mounts of a service, as [repository path, container path]. */
function bindMounts(service: ComposeService): [string, string][] {
  return (service.volumes ?? [])
    .filter((volume) => volume.startsWith('./'))
    .map((volume) => volume.split(':').slice(0, 2) as [string, string]);
}

function mountedAt(service: ComposeService, containerPath: string): string {
  const found = bindMounts(service).find(([, target]) => target === containerPath);
  if (!found) throw new Error(`nothing mounted at ${containerPath}`);
  return found[0];
}

function flag(service: ComposeService, name: string): string {
  const values = (service.command as string[]).filter((argument) => argument.startsWith(`--${name}=`));
  if (values.length !== 1) throw new Error(`expected --${name} once, found ${values.length}`);
  return values[0].slice(name.length + 3);
}

const metricsPort = environmentOf(services[apiServices[0]])['METRICS_PORT'];
const prometheusConfig = parse(readText(mountedAt(prometheus, flag(prometheus, 'config.file')))) as {
  global?: { scrape_interval?: string };
  scrape_configs: ScrapeConfig[];
};
const provisioning = mountedAt(grafana, '/etc/grafana/provisioning');
const datasources = (parse(readText(join(provisioning, 'datasources', 'prometheus.yml'))) as { datasources: Record<string, unknown>[] })
  .datasources;
const providers = (parse(readText(join(provisioning, 'dashboards', 'byok.yml'))) as { providers: { options: { path: string } }[] })
  .providers;
const DASHBOARD = 'deploy/grafana/dashboards/byok.json';
const dashboard = JSON.parse(readText(DASHBOARD)) as GrafanaDashboard;
const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]).filter((panel) => panel.type !== 'row');
const expressions = panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr ?? ''));

/** The series prom-client's collectDefaultMetrics registers, by name, with their type. */
async function promClientDefaults(): Promise<Map<string, string>> {
  const register = new Registry();
  collectDefaultMetrics({ register });
  const metrics = await register.getMetricsAsJSON();
  register.clear();
  return new Map(metrics.map((metric) => [metric.name, String(metric.type)]));
}

/** Whether `name` is a series the API exports: its own or prom-client's defaults, histograms by their suffixes. */
function isExportedSeries(name: string, defaults: ReadonlyMap<string, string>): boolean {
  const histograms = [...API_HISTOGRAMS, ...[...defaults].filter(([, type]) => type === 'histogram').map(([metric]) => metric)];
  if (histograms.some((histogram) => HISTOGRAM_SUFFIXES.some((suffix) => name === `${histogram}${suffix}`))) return true;
  if (histograms.includes(name)) return false;
  return Object.values(METRIC_NAMES).includes(name) || defaults.has(name);
}

describe('docker-compose.observability.yml (Prometheus and Grafana on top of docker-compose.yml)', () => {
  it('adds only Prometheus and Grafana, on pinned releases, with healthchecks and no capabilities', () => {
    expect(Object.keys(services).sort()).toEqual([...apiServices, 'grafana', 'prometheus'].sort());
    expect(prometheus.image).toMatch(/^prom\/prometheus:v\d+\.\d+\.\d+$/);
    expect(grafana.image).toMatch(/^grafana\/grafana:\d+\.\d+\.\d+$/);
    for (const service of [prometheus, grafana]) {
      expect(service.cap_drop).toEqual(['ALL']);
      expect(service.security_opt).toEqual(['no-new-privileges:true']);
    }
    expect(JSON.stringify(prometheus.healthcheck?.test)).toContain('http://127.0.0.1:9090/-/ready');
    expect(JSON.stringify(grafana.healthcheck?.test)).toContain('http://127.0.0.1:3000/api/health');
    expect(grafana.depends_on).toEqual({ prometheus: { condition: 'service_healthy' } });
    expect(Object.keys(observability)).not.toContain('name');
  });

  it('serves metrics from every API instance on one METRICS_PORT, joined to the metrics network only for that', () => {
    expect(metricsPort).toMatch(/^\d+$/);
    expect(isApiSetting('METRICS_PORT')).toBe(true);
    for (const api of apiServices) {
      expect(environmentOf(services[api])).toEqual({ METRICS_PORT: metricsPort });
      expect(services[api].networks).toEqual(['metrics']);
      expect(services[api].ports).toBeUndefined();
    }
  });

  it('keeps Prometheus and the metrics port on an internal network, and publishes only Grafana, on the host’s loopback', () => {
    expect(observability.networks?.['metrics']).toEqual({ internal: true });
    expect(prometheus.networks).toEqual(['metrics']);
    expect(prometheus.ports).toBeUndefined();
    expect(grafana.networks).toEqual(['metrics', 'dashboards']);
    expect(observability.networks?.['dashboards']?.internal).toBeUndefined();
    expect(grafana.ports).toEqual(['127.0.0.1:${GRAFANA_PORT:-3001}:3000']);
  });

  it('takes Grafana’s admin password from .env, with anonymous access and sign-up off', () => {
    const environment = environmentOf(grafana);
    expect(environment['GF_SECURITY_ADMIN_PASSWORD']).toMatch(/^\$\{GRAFANA_ADMIN_PASSWORD:\?[^}]+\}$/);
    expect(environment['GF_AUTH_ANONYMOUS_ENABLED']).toBe('false');
    expect(environment['GF_USERS_ALLOW_SIGN_UP']).toBe('false');
  });
});

describe('deploy/prometheus/prometheus.yml', () => {
  const [job, ...otherJobs] = prometheusConfig.scrape_configs;

  it('scrapes exactly the API instances of docker-compose.yml, on their METRICS_PORT, at /metrics over plain HTTP', () => {
    expect(otherJobs).toEqual([]);
    expect(job.metrics_path ?? '/metrics').toBe('/metrics');
    expect(job.scheme ?? 'http').toBe('http');
    expect(job.static_configs.flatMap((config) => config.targets).sort()).toEqual(apiServices.map((api) => `${api}:${metricsPort}`).sort());
  });

  it('labels each series with the instance’s service name, as the dashboard’s legends show it', () => {
    const rule = (job.relabel_configs ?? []).find((config) => config.target_label === 'instance');
    expect(rule?.source_labels).toEqual(['__address__']);
    // Prometheus anchors relabel regexes; its $1 means what it means in JavaScript.
    const instance = (address: string) => address.replace(new RegExp(`^(?:${rule?.regex})$`), rule?.replacement ?? '$1');
    for (const api of apiServices) expect(instance(`${api}:${metricsPort}`)).toBe(api);
  });

  it('is mounted where --config.file reads it, with its data on a named volume', () => {
    expect(prometheus.volumes).toContain(`./deploy/prometheus/prometheus.yml:${flag(prometheus, 'config.file')}:ro`);
    const data = (prometheus.volumes ?? []).find((volume) => volume.split(':')[1] === flag(prometheus, 'storage.tsdb.path')) ?? '';
    expect(Object.keys(observability.volumes ?? {})).toContain(data.split(':')[0]);
    expect(prometheus.read_only).toBe(true);
  });
});

describe('Grafana provisioning (deploy/grafana)', () => {
  it('provisions one Prometheus datasource, reaching the prometheus service on the port it listens on', () => {
    expect(datasources).toHaveLength(1);
    const [datasource] = datasources;
    expect(datasource['type']).toBe('prometheus');
    expect(datasource['url']).toBe(`http://prometheus${flag(prometheus, 'web.listen-address')}`);
    expect(datasource['uid']).toMatch(/^[a-z0-9-]+$/);
  });

  it('loads the dashboards from the folder mounted into Grafana, which holds the BYOK dashboard', () => {
    expect(providers).toHaveLength(1);
    const source = mountedAt(grafana, providers[0].options.path);
    expect(join(source, 'byok.json')).toBe(DASHBOARD);
    expect(readdirSync(join(ROOT, source)).filter((file) => file.endsWith('.json'))).toEqual(['byok.json']);
    expect(existsSync(join(ROOT, DASHBOARD))).toBe(true);
  });
});

describe('deploy/grafana/dashboards/byok.json', () => {
  let defaults: Map<string, string>;
  beforeAll(async () => {
    defaults = await promClientDefaults();
  });

  it('queries the provisioned datasource in every panel and target, by its uid', () => {
    const uid = datasources[0]['uid'];
    expect(panels.length).toBeGreaterThan(0);
    for (const panel of panels) {
      expect({ panel: panel.title, uid: panel.datasource?.uid }).toEqual({ panel: panel.title, uid });
      expect({ panel: panel.title, targets: (panel.targets ?? []).length > 0 }).toEqual({ panel: panel.title, targets: true });
      for (const target of panel.targets ?? []) expect({ panel: panel.title, uid: target.datasource?.uid }).toEqual({ panel: panel.title, uid });
    }
    for (const variable of dashboard.templating?.list ?? []) expect(variable.datasource?.uid).toBe(uid);
  });

  it('names only series the API exports (its own, with histogram suffixes, and prom-client’s defaults)', () => {
    const queries = [
      ...expressions,
      ...(dashboard.templating?.list ?? []).map((variable) => {
        const query = typeof variable.query === 'string' ? variable.query : (variable.query?.query ?? '');
        return query.replace(/^label_values\((.*),\s*\w+\)$/, '$1');
      }),
    ];
    for (const expr of queries) {
      const names = seriesNames(expr);
      expect({ expr, names: names.length > 0 }).toEqual({ expr, names: true });
      expect({ expr, unknown: names.filter((name) => !isExportedSeries(name, defaults)) }).toEqual({ expr, unknown: [] });
      expect({ expr, labels: labelNames(expr).filter((label) => !KNOWN_LABELS.includes(label)) }).toEqual({ expr, labels: [] });
    }
  });

  it('has a panel for every series of METRIC_NAMES and for the event loop’s lag', () => {
    const used = new Set(expressions.flatMap((expr) => seriesNames(expr)));
    const missing = [...Object.values(METRIC_NAMES), EVENT_LOOP_LAG_METRIC].filter(
      (name) => !used.has(name) && !HISTOGRAM_SUFFIXES.some((suffix) => used.has(`${name}${suffix}`)),
    );
    expect(missing).toEqual([]);
  });

  it('shows stream ends by outcome and by credential source, and time to first token at p50, p90 and p99', () => {
    const ended = METRIC_NAMES['streamsEnded'];
    expect(expressions).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^sum by \\(outcome\\) \\(rate\\(${ended}\\{`))]));
    expect(expressions).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^sum by \\(source\\) \\(rate\\(${ended}\\{`))]));
    for (const quantile of ['0.5', '0.9', '0.99']) {
      expect(expressions).toEqual(
        expect.arrayContaining([
          expect.stringMatching(new RegExp(`^histogram_quantile\\(${quantile.replace('.', '\\.')}, sum by \\(le\\) \\(rate\\(${API_HISTOGRAMS[0]}_bucket\\{`)),
        ]),
      );
    }
  });

  it('is checked by a reader that catches a misspelt series, a bare histogram name and an unknown label', () => {
    const unknown = (expr: string) => seriesNames(expr).filter((name) => !isExportedSeries(name, defaults));
    expect(unknown('sum(rate(byok_chat_stream_ended_total[5m]))')).toEqual(['byok_chat_stream_ended_total']);
    expect(unknown(`rate(${API_HISTOGRAMS[0]}[5m])`)).toEqual([API_HISTOGRAMS[0]]);
    expect(unknown('sum by (le) (rate(byok_chat_time_to_first_token_seconds_bucket{provider="x y"}[5m])) offset 5m')).toEqual([]);
    expect(unknown('histogram_quantile(0.9, sum by (le) (rate(nodejs_gc_duration_seconds_bucket[1m]))) > bool 1e3')).toEqual([]);
    expect(labelNames('sum by (sources) (rate(x{outcome!~"done|{x}"}[5m]))').sort()).toEqual(['outcome', 'sources']);
  });
});

describe('docs/deployment-https.md', () => {
  it(`names every variable ${OBSERVABILITY_COMPOSE_FILE} reads from .env`, () => {
    const docs = readText('docs/deployment-https.md');
    const undocumented = [...interpolatedVariables(readText(OBSERVABILITY_COMPOSE_FILE))].filter((name) => !docs.includes(`\`${name}\``));
    expect(undocumented).toEqual([]);
  });
});

const dockerComposeAvailable = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;
const describeWithCompose = describeWithTool('docker-compose', dockerComposeAvailable, 'apt-get install docker-compose');

describeWithCompose('docker-compose config with the observability override (Compose v1.29, no engine needed)', () => {
  const secrets = {
    REDIS_PASSWORD: 'a'.repeat(32),
    SESSION_SECRET: 'b'.repeat(32),
    KEYSTORE_SECRETS: 'c'.repeat(32),
    GRAFANA_ADMIN_PASSWORD: 'd'.repeat(32),
  };
  const files = [COMPOSE_FILE, OBSERVABILITY_COMPOSE_FILE];
  const run = (env: Record<string, string>, quiet = true) =>
    spawnSync('docker-compose', [...files.flatMap((file) => ['-f', file]), '--project-directory', ROOT, 'config', ...(quiet ? ['-q'] : [])], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'], ...env },
      encoding: 'utf8',
    });

  it('accepts the files once the secrets are set', () => {
    const result = run(secrets);
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  });

  it('refuses them without each secret, naming it', () => {
    const requiredByFiles = files.flatMap((file) => [...readText(file).matchAll(/\$\{([A-Z0-9_]+):\?/g)].map((match) => match[1]));
    expect([...new Set(requiredByFiles)].sort()).toEqual(Object.keys(secrets).sort());
    for (const name of Object.keys(secrets)) {
      const result = run({ ...secrets, [name]: '' });
      expect({ name, refused: result.status !== 0, named: result.stderr.includes(name) }).toEqual({ name, refused: true, named: true });
    }
  });

  it('renders METRICS_PORT and the metrics network onto every API instance, keeping their own settings and networks', () => {
    const rendered = parse(run(secrets, false).stdout) as ComposeFile;
    for (const api of apiServices) {
      const service = rendered.services[api];
      expect(environmentOf(service)['METRICS_PORT']).toBe(metricsPort);
      expect(environmentOf(service)['SESSION_SECRET']).toBe(secrets.SESSION_SECRET);
      expect(Object.keys(service.networks as Record<string, unknown>).sort()).toEqual(['backend', 'edge', 'metrics']);
    }
    expect(rendered.networks?.['metrics']?.internal).toBe(true);
    expect(rendered.networks?.['backend']?.internal).toBe(true);
    const ports = rendered.services['grafana'].ports as unknown as (string | { host_ip?: string })[];
    expect(ports).toEqual([expect.stringMatching(/^127\.0\.0\.1:3001:3000(\/tcp)?$/)]);
    for (const [service, { healthcheck }] of Object.entries(rendered.services)) {
      expect({ service, test: healthcheck?.test }).toEqual({ service, test: expect.anything() });
    }
  });
});
