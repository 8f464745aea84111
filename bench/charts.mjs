/**
 * Draws the bench's charts from a results file, without a browser: vega-lite compiles each spec
 * and vega renders it headless (renderer 'none') to SVG. vega and vega-lite are ES modules only,
 * which is why this is a script of its own rather than part of the CommonJS bench.
 *
 *   node bench/charts.mjs [results.json] [out dir]
 *
 * Defaults: bench/results/latest.json into docs/_static/, the charts docs/benchmarks.md embeds.
 * A partial run's figures: node bench/charts.mjs bench/results/partial.json tmp/bench-charts
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, View } from 'vega';
import { compile } from 'vega-lite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [resultsPath = join(root, 'bench/results/latest.json'), outDir = join(root, 'docs/_static')] = process.argv.slice(2);

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const TRANSPORTS = ['pipe', 'gateway-sse', 'gateway-socket'];
const LADDER_TARGETS = ['direct', 'pipe', 'gateway-socket'];
const COLOURS = { direct: '#7f7f7f', pipe: '#1f77b4', 'gateway-sse': '#ff7f0e', 'gateway-socket': '#d62728' };
const CONFIG = { font: 'sans-serif', background: 'white', title: { anchor: 'start', subtitleColor: '#555' } };

async function toSvg(spec) {
  const view = new View(parse(compile({ $schema: SCHEMA, config: CONFIG, ...spec }).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Added TTFT p50 and p99 per transport, from scenario (a). */
function ttftSpec(ttft) {
  const values = TRANSPORTS.filter((name) => ttft.added[name]).flatMap((name) => [
    { transport: name, percentile: 'p50', ms: ttft.added[name].p50 },
    { transport: name, percentile: 'p99', ms: ttft.added[name].p99 },
  ]);
  return {
    title: {
      text: 'Added time to first token, one stream at a time',
      subtitle: `the transport's TTFT percentile minus direct's, ${ttft.requestsPerTarget} requests per transport`,
    },
    width: 420,
    height: 240,
    data: { values },
    encoding: {
      x: { field: 'transport', type: 'nominal', sort: TRANSPORTS, title: null, axis: { labelAngle: 0 } },
      xOffset: { field: 'percentile', type: 'nominal', sort: ['p50', 'p99'] },
      y: { field: 'ms', type: 'quantitative', title: 'added TTFT (ms)' },
      color: { field: 'percentile', type: 'nominal', sort: ['p50', 'p99'], scale: { range: ['#9ecae1', '#3182bd'] }, title: null },
    },
    layer: [{ mark: 'bar' }, { mark: { type: 'text', dy: -6 }, encoding: { text: { field: 'ms', type: 'quantitative', format: '.2f' }, color: { value: '#333' } } }],
  };
}

/** Received gap p50 and added TTFT p99 against streams, from scenario (c)'s ladder. */
function capacitySpec(concurrency) {
  const rungs = concurrency.rungs.map((rung) => rung.streams);
  const values = concurrency.rungs.flatMap((rung) =>
    LADDER_TARGETS.flatMap((target) => {
      const run = rung.runs.find((candidate) => candidate.target === target);
      if (!run) return [];
      // Added figures are against direct, so direct's own line is the zero they are measured from.
      return [{ streams: rung.streams, target, gapP50: run.gaps.p50, addedTtftP99: target === 'direct' ? 0 : rung.added[target].ttftP99 }];
    }),
  );
  const tolerance = concurrency.capacityGapToleranceMs;
  const band = concurrency.rungs.flatMap((rung) => {
    const direct = rung.runs.find((run) => run.target === 'direct');
    return direct ? [{ streams: rung.streams, low: direct.gaps.p50 - tolerance, high: direct.gaps.p50 + tolerance }] : [];
  });
  const capacity = (target) => {
    const figure = concurrency.capacity[target];
    return figure.firstMissed === null ? `${figure.streams}+` : String(figure.streams);
  };
  const x = { field: 'streams', type: 'quantitative', title: 'paced streams on one instance', scale: { domain: [Math.min(...rungs), Math.max(...rungs)] }, axis: { values: rungs } };
  const addedTtft = values.map((value) => value.addedTtftP99);
  const color = { field: 'target', type: 'nominal', title: null, scale: { domain: LADDER_TARGETS, range: LADDER_TARGETS.map((target) => COLOURS[target]) } };
  const line = { type: 'line', point: true };
  return {
    title: {
      text: `Paced streams (${concurrency.chunksPerStream} chunks at ${concurrency.paceMs} ms each) on one instance`,
      subtitle: [
        `capacity: gateway-socket ${capacity('gateway-socket')}, pipe ${capacity('pipe')} streams`,
        `(the largest rung with gap p50 inside the grey band, ±${tolerance} ms of direct's, and nothing lost)`,
      ],
    },
    vconcat: [
      {
        width: 460,
        height: 180,
        layer: [
          {
            data: { values: band },
            mark: { type: 'area', opacity: 0.15, color: COLOURS.direct },
            encoding: { x: { ...x, title: null }, y: { field: 'low', type: 'quantitative', title: 'received gap p50 (ms)', scale: { zero: false } }, y2: { field: 'high' } },
          },
          { data: { values }, mark: line, encoding: { x: { ...x, title: null }, y: { field: 'gapP50', type: 'quantitative' }, color } },
        ],
      },
      {
        width: 460,
        height: 180,
        data: { values },
        mark: line,
        encoding: {
          x,
          y: { field: 'addedTtftP99', type: 'quantitative', title: 'added TTFT p99 (ms, symlog)', scale: { type: 'symlog' }, axis: { values: decadeTicks(addedTtft) } },
          color,
        },
      },
    ],
  };
}

/** 0 and ±1, ±10, ±100 … up to the data's range: a symlog axis spans from below zero to seconds, and vega's own ticks crowd one end. */
function decadeTicks(values) {
  const ticks = [0];
  for (let decade = 1; decade <= Math.max(1, ...values.map(Math.abs)) * 10; decade *= 10) {
    if (Math.max(...values) >= decade / 10) ticks.push(decade);
    if (Math.min(...values) <= -decade / 10) ticks.unshift(-decade);
  }
  return ticks;
}

const results = JSON.parse(readFileSync(resultsPath, 'utf8'));
const charts = [
  { file: 'bench-ttft.svg', section: results.ttft, spec: ttftSpec, needs: 'scenario (a)' },
  { file: 'bench-capacity.svg', section: results.concurrency, spec: capacitySpec, needs: 'scenario (c)' },
];
mkdirSync(outDir, { recursive: true });
for (const chart of charts) {
  const target = join(outDir, chart.file);
  if (!chart.section) {
    process.stdout.write(`charts: ${chart.file} not drawn, ${relative(process.cwd(), resultsPath)} has no ${chart.needs}\n`);
    continue;
  }
  writeFileSync(target, `${await toSvg(chart.spec(chart.section))}\n`);
  process.stdout.write(`charts: wrote ${relative(process.cwd(), target)}\n`);
}
