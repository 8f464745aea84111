import 'reflect-metadata';
import { createApp } from './app.factory';
import { ConfigError } from './config/config-error';
import { loadConfig } from './config/app-config';
import { drainOnSignals } from './lifecycle/shutdown-signals';

async function bootstrap(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Invalid configuration: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = await createApp({ config });
  // Before listening: a SIGTERM that arrives as soon as the port opens must already drain.
  drainOnSignals(app);
  await app.listen(config.port, config.host);
}

void bootstrap();
