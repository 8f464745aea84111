// Starts the fake upstream and the API (serving the web app) wired to it, so a newcomer can see
// streaming with no real provider key. Run through `npm run start:demo`, which builds first.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';

const fakePort = process.env.FAKE_UPSTREAM_PORT ?? '4010';
const fakeUrl = `http://127.0.0.1:${fakePort}`;

const children = [];
function run(command, args, env) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: 'inherit' });
  children.push(child);
  child.on('exit', (code) => {
    for (const other of children) if (other !== child) other.kill('SIGTERM');
    process.exitCode = code ?? 1;
  });
  return child;
}

function waitForPort(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = connect(Number(port), '127.0.0.1');
      socket.once('connect', () => {
        socket.end();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listens on port ${port}`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => children.forEach((child) => child.kill('SIGTERM')));
}

run(
  'node_modules/.bin/ts-node',
  ['--transpile-only', '--project', 'tools/fake-upstream/tsconfig.lib.json', 'tools/fake-upstream/src/main.ts'],
  { FAKE_UPSTREAM_PORT: fakePort, FAKE_UPSTREAM_ACCEPT_TEST_KEYS: '1', FAKE_UPSTREAM_CHUNK_DELAY_MS: '80' },
);
await waitForPort(fakePort, 20_000);
console.log(
  '\nDemo: OpenAI uses a server (ENV) key; for Anthropic and Gemini open Settings and set a test key ' +
    'such as sk-ant-test-0123456789abcdefgh or AIzaTest0123456789abcdefghijklmnop.\n',
);
run('node', ['--enable-source-maps', 'dist/apps/api/main.js'], {
  OPENAI_BASE_URL: `${fakeUrl}/openai/v1`,
  ANTHROPIC_BASE_URL: `${fakeUrl}/anthropic`,
  GEMINI_BASE_URL: `${fakeUrl}/gemini`,
  OLLAMA_BASE_URL: `${fakeUrl}/ollama/v1`,
  OPENAI_API_KEY: process.env.OPENAI_API_KEY ?? 'sk-test-demo-server-key-0123456789',
});
