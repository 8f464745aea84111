import { loadConfig } from '../config/app-config';
import { Secret } from '../common/secret';
import { Metrics } from './metrics';
import { bearerMatches } from './metrics-route';

const TOKEN = new Secret('metrics-token-unit-0123456789abcdefghijkl');

describe('Metrics', () => {
  const config = loadConfig({});

  async function lines(metrics: Metrics, prefix: string): Promise<string[]> {
    const { body } = await metrics.scrape();
    return body.split('\n').filter((line) => line.startsWith(prefix));
  }

  it('labels an unknown provider, source or outcome with the closed fallback, never the value sent', async () => {
    const metrics = new Metrics(config);
    metrics.streamEnded({ provider: 'sk-pasted-key-0123456789', transport: 'sse', source: 'stolen' as never, outcome: 'sk-another-key-0123' });
    expect(await lines(metrics, 'byok_chat_streams_ended_total{')).toEqual([
      'byok_chat_streams_ended_total{provider="unknown",transport="sse",source="none",outcome="internal_error"} 1',
    ]);
    metrics.firstToken('sk-pasted', 'socket', 1500);
    expect(await lines(metrics, 'byok_chat_time_to_first_token_seconds_count')).toEqual([
      'byok_chat_time_to_first_token_seconds_count{provider="unknown",transport="socket"} 1',
    ]);
  });

  it('counts a started stream as active until it stops', async () => {
    const metrics = new Metrics(config);
    metrics.streamStarted('openai', 'socket');
    expect(await lines(metrics, 'byok_chat_streams_active{transport="socket"}')).toEqual(['byok_chat_streams_active{transport="socket"} 1']);
    metrics.streamStopped('socket');
    expect(await lines(metrics, 'byok_chat_streams_active{transport="socket"}')).toEqual(['byok_chat_streams_active{transport="socket"} 0']);
    expect(await lines(metrics, 'byok_chat_streams_started_total{provider="openai",transport="socket"}')).toEqual([
      'byok_chat_streams_started_total{provider="openai",transport="socket"} 1',
    ]);
  });

  it('keeps the series of two instances apart', async () => {
    const first = new Metrics(config);
    const second = new Metrics(config);
    first.keyEvent('set');
    expect(await lines(first, 'byok_key_events_total{event="set"}')).toEqual(['byok_key_events_total{event="set"} 1']);
    expect(await lines(second, 'byok_key_events_total{event="set"}')).toEqual(['byok_key_events_total{event="set"} 0']);
  });

  it('exports the event loop lag among the process defaults once an endpoint is configured', async () => {
    expect(await lines(new Metrics(loadConfig({ METRICS_PORT: '9464' })), 'nodejs_eventloop_lag_p99_seconds ')).toHaveLength(1);
    expect(await lines(new Metrics(loadConfig({ METRICS_TOKEN: TOKEN.reveal() })), 'process_cpu_user_seconds_total ')).toHaveLength(1);
    expect(await lines(new Metrics(config), 'nodejs_')).toEqual([]);
  });
});

describe('bearerMatches', () => {
  it.each([
    ['the token', true, `Bearer ${TOKEN.reveal()}`],
    ['the scheme in any case', true, `bearer ${TOKEN.reveal()}`],
    ['no header', false, undefined],
    ['another scheme', false, `Basic ${TOKEN.reveal()}`],
    ['the token without a scheme', false, TOKEN.reveal()],
    ['a prefix of the token', false, `Bearer ${TOKEN.reveal().slice(0, -1)}`],
    ['the token and more', false, `Bearer ${TOKEN.reveal()}x`],
    ['an empty bearer', false, 'Bearer '],
  ])('%s: %p', (_case, expected, header) => {
    expect(bearerMatches(header, TOKEN)).toBe(expected);
  });
});
