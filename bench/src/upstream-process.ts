import { FakeUpstream, type StreamSettings } from '@byok/fake-upstream';
import { serve } from './ipc';

/** The fake upstream in a process of its own, so its work is not billed to the client's clock. */
async function main(): Promise<void> {
  const key = process.env['BENCH_KEY'] ?? '';
  // A short record keeps the fake's per-request bookkeeping flat over thousands of requests.
  const fake = new FakeUpstream({ keys: { openai: [key] }, recordLimit: 2000 });
  const url = await fake.start(0);
  serve({
    configure: (settings) => {
      fake.configure(settings as Partial<StreamSettings>);
      fake.clearRequests();
      return fake.expectedChunks();
    },
    stats: () => fake.stats(),
    exit: () => setImmediate(() => process.exit(0)),
  });
  process.send?.({ ready: true, url });
}

void main();
