import { USAGE, optionsFromEnvironment } from './environment';
import { FakeUpstream } from './fake-upstream';

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    console.log(USAGE);
    return;
  }
  const config = optionsFromEnvironment(process.env, process.argv.slice(2));
  const upstream = new FakeUpstream(config.options);
  for (const failure of config.failures) {
    upstream.inject(failure);
  }
  const baseUrl = await upstream.start(config.port);
  console.log(`fake-upstream listening on ${baseUrl}`);
  for (const provider of ['openai', 'anthropic', 'gemini', 'ollama']) {
    const keys = upstream.keysOf(provider);
    const accepted = keys === null ? 'any key' : `${keys.length} configured key(s)`;
    const testKeys = config.options.acceptTestKeys ? ' + test keys' : '';
    console.log(`  ${provider.padEnd(10)} ${upstream.urlFor(provider)}  (${accepted}${testKeys})`);
  }

  const shutdown = (): void => {
    upstream.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('fake-upstream: failed to stop cleanly', error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  console.error(`fake-upstream: ${error instanceof Error ? error.message : String(error)}`);
  console.error(USAGE);
  process.exit(1);
});
