import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express, { type NextFunction, type Request, type Response } from 'express';

/**
 * Serves the built web app from the API's own origin, so cookies, CSRF and the socket need no
 * cross-origin setup. Unknown non-API paths get index.html for the client-side router.
 */
export function serveWebApp(app: NestExpressApplication, root: string): boolean {
  const dir = resolve(root);
  const index = join(dir, 'index.html');
  if (!existsSync(index)) return false;
  const assets = express.static(dir, { index: false, maxAge: '1h', fallthrough: true });
  // API and socket requests never name a file: spare them the file-system lookup (a stat each).
  app.use((req: Request, res: Response, next: NextFunction) => (isServerPath(req.path) ? next() : assets(req, res, next)));
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' || isServerPath(req.path)) {
      next();
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
  return true;
}

function isServerPath(path: string): boolean {
  return path.startsWith('/api/') || path.startsWith('/socket.io/');
}
