import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** A person the test IdP knows; every one signs in with {@link TEST_IDP_PASSWORD}. */
export interface TestIdpUser {
  /** What goes in the login field (the email is accepted too). */
  login: string;
  sub: string;
  name: string;
  email: string;
  groups: readonly string[];
}

export const TEST_IDP_USERS = {
  alice: { login: 'alice', sub: 'alice', name: 'Alice Tester', email: 'alice@example.test', groups: ['eng'] },
  bob: { login: 'bob', sub: 'bob', name: 'Bob Tester', email: 'bob@example.test', groups: ['sales'] },
} as const satisfies Record<string, TestIdpUser>;

export const TEST_IDP_PASSWORD = 'test-password';
export const TEST_IDP_CLIENT_ID = 'byok-test-client';
export const TEST_IDP_CLIENT_SECRET = 'test-idp-client-secret-not-real';

export interface TestIdpOptions {
  /** The API's callback URLs, e.g. `http://127.0.0.1:<port>/api/auth/callback`; matched exactly. */
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  /** A fixed loopback port; by default the system picks a free one. */
  port?: number;
}

export interface TestIdp {
  /** `http://127.0.0.1:<port>`, discovery at `${issuer}/.well-known/openid-configuration`. */
  issuer: string;
  clientId: string;
  /** Accepted with client_secret_basic only (openid-client: `ClientSecretBasic(secret)`). */
  clientSecret: string;
  password: string;
  users: typeof TEST_IDP_USERS;
  /** Stops the IdP process; safe to call twice. */
  close(): Promise<void>;
}

const SERVER_SCRIPT = join(__dirname, 'test-idp-server.mjs');
const START_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 5_000;
const READY_LINE = /^test-idp listening on (http:\/\/127\.0\.0\.1:\d+)$/;

/**
 * A real OpenID provider (oidc-provider) in a child process on a loopback port: one confidential
 * client (client_secret_basic, code flow, PKCE S256 required), users alice and bob, a login form,
 * consent given without asking, RP-initiated logout.
 */
export async function startTestIdp(options: TestIdpOptions): Promise<TestIdp> {
  const serverOptions = {
    port: options.port,
    users: TEST_IDP_USERS,
    password: TEST_IDP_PASSWORD,
    client: {
      clientId: TEST_IDP_CLIENT_ID,
      clientSecret: TEST_IDP_CLIENT_SECRET,
      redirectUris: options.redirectUris,
      postLogoutRedirectUris: options.postLogoutRedirectUris,
    },
  };
  // stdin stays open as the child's lifeline: it exits when the pipe closes, i.e. when this
  // process ends, however it ends.
  const child = spawn(process.execPath, [SERVER_SCRIPT, JSON.stringify(serverOptions)], { stdio: ['pipe', 'pipe', 'pipe'] });
  // 'close' comes after 'exit', once the child's stdout and stderr pipes are closed too.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  // Until it listens, what it prints goes into the start error; afterwards it is passed on.
  let recentStderr = '';
  let listening = false;
  child.stderr?.on('data', (chunk: Buffer) => {
    if (listening) process.stderr.write(chunk);
    else recentStderr = (recentStderr + chunk.toString()).slice(-8_000);
  });

  let issuer: string;
  try {
    issuer = await waitForIssuer(child, () => recentStderr);
    listening = true;
  } catch (error) {
    await stop(child, closed);
    throw error;
  }
  return {
    issuer,
    clientId: TEST_IDP_CLIENT_ID,
    clientSecret: TEST_IDP_CLIENT_SECRET,
    password: TEST_IDP_PASSWORD,
    users: TEST_IDP_USERS,
    close: () => stop(child, closed),
  };
}

function waitForIssuer(child: ChildProcess, stderr: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    let ready = false;
    const settle = (outcome: () => void): void => {
      ready = true;
      clearTimeout(timer);
      child.off('exit', onExit);
      child.off('error', onError);
      outcome();
    };
    // Read to the end, not only to the ready line: oidc-provider prints its notices on stdout,
    // and a pipe nobody reads fills up and stalls the child.
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const match = READY_LINE.exec(line);
      if (!ready && match) settle(() => resolve(match[1]));
      else process.stderr.write(`test-idp (stdout): ${line}\n`);
    });
    const onExit = (code: number | null, signal: string | null): void =>
      settle(() => reject(new Error(`the test IdP exited (${signal ?? `code ${code}`}) before listening:\n${stderr()}`)));
    const onError = (error: Error): void => settle(() => reject(new Error(`the test IdP could not start: ${error.message}`)));
    const timer = setTimeout(
      () => settle(() => reject(new Error(`the test IdP did not report listening within ${START_TIMEOUT_MS} ms:\n${stderr()}`))),
      START_TIMEOUT_MS,
    );
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

/** SIGTERM, then SIGKILL after a grace period; resolves once the process is gone and its pipes are closed. */
async function stop(child: ChildProcess, closed: Promise<void>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }
  child.stdin?.destroy();
  await closed;
}
