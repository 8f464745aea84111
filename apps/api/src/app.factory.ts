import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { AppModule, type AppModuleOptions } from './app.module';
import { ChatIoAdapter } from './chat/socket/chat-io.adapter';
import { createValidationPipe } from './common/validation.pipe';
import { Metrics } from './metrics/metrics';
import { metricsRoute } from './metrics/metrics-route';
import { hostGuard } from './security/host-policy';
import { TRUST_FUNCTION, type TrustFunction } from './security/trust-proxy';
import { serveWebApp } from './web/web-app';
import type { SessionHandlers } from './session/session-middleware.factory';
import { SESSION_HANDLERS } from './session/session.tokens';

/** Builds the configured HTTP application; shared by main.ts and the integration tests. */
export async function createApp(options: AppModuleOptions): Promise<NestExpressApplication> {
  const { config } = options;
  // The adapter is named explicitly so a pruned install cannot lose the package Nest would load by name.
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(options), new ExpressAdapter(), {
    bufferLogs: true,
    // JSON bodies are parsed by JsonBodyMiddleware, which enforces the limit and answers in our error format.
    bodyParser: false,
  });
  const logger = app.get(Logger);
  app.useLogger(logger);
  // First of all: a request for a host this deployment does not serve gets nothing else.
  app.use(hostGuard(config.allowedHosts));
  const trust = app.get<TrustFunction>(TRUST_FUNCTION);
  app.set('trust proxy', trust);
  app.disable('x-powered-by');
  app.use(
    helmet({
      // Plain-HTTP deployments (a LAN host, a dev box) would otherwise have every asset upgraded to https.
      contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
    }),
  );
  app.enableCors({ origin: config.allowedOrigins, credentials: true });
  app.setGlobalPrefix('api');
  app.useGlobalPipes(createValidationPipe());
  app.useWebSocketAdapter(new ChatIoAdapter(app, config, app.get<SessionHandlers>(SESSION_HANDLERS), trust));
  // No enableShutdownHooks(): main.ts stops on signals through the drain (drainOnSignals), and tests close apps themselves.
  if (config.metricsToken) {
    // After the Host guard, before the web app's fallback page; no session or CSRF middleware runs for it.
    app.use(metricsRoute(app.get(Metrics), config.metricsToken));
  }
  if (config.apiDocs) {
    serveApiDocs(app);
  }
  if (!serveWebApp(app, config.webRoot)) {
    logger.log(`No web app build in ${config.webRoot}; serving the API only`, 'WebApp');
  }
  for (const warning of config.warnings) {
    logger.warn(warning, 'Config');
  }
  return app;
}

/** The OpenAPI UI at /api/docs and its JSON at /api/docs-json: off in production unless API_DOCS=true. */
function serveApiDocs(app: NestExpressApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('BYOK chat API')
      .setDescription('Provider keys kept in the server-side session, and chat streaming with them.')
      .setVersion('1')
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document);
}
