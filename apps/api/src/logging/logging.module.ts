import { randomUUID } from 'node:crypto';
import { Module, RequestMethod, type DynamicModule } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { Options } from 'pino-http';
import type { AppConfig } from '../config/app-config';

/** Paths pino blanks in every line, beside the serializers that never emit headers or bodies. */
export const REDACTED_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-xsrf-token"]',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'apiKey',
  '*.apiKey',
  'body',
  '*.body',
];

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Human-readable lines for a developer at a terminal (`npm start`); JSON everywhere else:
 * production, containers, pipes, tests. pino-pretty is a development dependency, so an image
 * without it keeps JSON even when run with a TTY.
 */
function prettyTerminal(config: AppConfig, destination: DestinationStream | undefined): boolean {
  if (config.production || destination !== undefined || !process.stdout.isTTY) return false;
  try {
    require.resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

@Module({})
export class LoggingModule {
  static forRoot(config: AppConfig, destination?: DestinationStream): DynamicModule {
    const options: Options = {
      level: config.logLevel,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      genReqId: (req: IncomingMessage, res: ServerResponse) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      // Request lines carry method, path and status only: headers hold cookies and bodies hold keys.
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url.split('?')[0],
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      autoLogging: { ignore: (req: IncomingMessage) => (req.url ?? '').startsWith('/api/health') },
    };
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          // Every route, in the path syntax of Express 5 (the default '*' is the legacy form).
          forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
          // Redaction and the serializers run in this thread, before a transport sees a line.
          pinoHttp: prettyTerminal(config, destination)
            ? {
                ...options,
                transport: { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } },
              }
            : [options, destination ?? process.stdout],
        }),
      ],
    };
  }
}
