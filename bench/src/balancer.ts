import { connect, createServer } from 'node:net';

/**
 * Round-robin TCP balancer (as nginx `stream` or HAProxy `mode tcp` would run it): each client
 * connection, HTTP keep-alive or WebSocket, goes to the next instance and stays there.
 */
const backends = (process.env['BACKENDS'] ?? '').split(',').map(Number);
let next = 0;

const server = createServer((client) => {
  const port = backends[next++ % backends.length];
  const upstream = connect(port, '127.0.0.1');
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  const close = (): void => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close).on('close', close);
  upstream.on('error', close).on('close', close);
  client.pipe(upstream).pipe(client);
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ ready: true, port: typeof address === 'object' && address ? address.port : 0 });
});
