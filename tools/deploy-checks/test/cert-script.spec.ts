import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CERT_SCRIPT } from '@byok/cluster';
import { ROOT } from './support/workspace';

describe('deploy/make-self-signed-cert.sh', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'byok-cert-'));
    execFileSync('bash', [join(ROOT, CERT_SCRIPT), dir, 'localhost', '127.0.0.1'], { stdio: 'ignore' });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes tls.crt and tls.key that the unprivileged proxy user can read', () => {
    expect(statSync(join(dir, 'tls.crt')).isFile()).toBe(true);
    expect(statSync(join(dir, 'tls.key')).mode & 0o004).toBe(0o004);
  });

  it.each([
    ['localhost', 'localhost'],
    ['127.0.0.1', '127.0.0.1'],
  ])('makes a certificate a client trusting it accepts for %s', async (_label, host) => {
    const server = createServer({
      cert: readFileSync(join(dir, 'tls.crt')),
      key: readFileSync(join(dir, 'tls.key')),
    }, (socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const socket: TLSSocket = connect({ host: '127.0.0.1', port, servername: host === 'localhost' ? host : undefined, ca: readFileSync(join(dir, 'tls.crt')) });
      const authorized = await new Promise<boolean>((resolve, reject) => {
        socket.once('secureConnect', () => resolve(socket.authorized));
        socket.once('error', reject);
      });
      socket.destroy();
      expect(authorized).toBe(true);
    } finally {
      server.close();
    }
  });

  it('makes a certificate that does not cover other names', async () => {
    const server = createServer({ cert: readFileSync(join(dir, 'tls.crt')), key: readFileSync(join(dir, 'tls.key')) }, (socket) =>
      socket.end(),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const socket = connect({ host: '127.0.0.1', port, servername: 'example.com', ca: readFileSync(join(dir, 'tls.crt')) });
      const error = await new Promise<Error>((resolve) => socket.once('error', resolve));
      socket.destroy();
      expect(error.message).toMatch(/example\.com/);
    } finally {
      server.close();
    }
  });
});
