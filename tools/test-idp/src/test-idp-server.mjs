// The test OpenID provider as a process of its own: oidc-provider is ESM-only, which Jest's CJS
// module system cannot load, and the browser e2e suite needs it outside its test process anyway.
//
// Usage: node test-idp-server.mjs '<JSON options>' (see test-idp.ts, which builds them and owns
// this process). Prints `test-idp listening on <issuer>` on stdout once it accepts requests.
// Exits when its stdin closes: the parent holds the other end of that pipe, so the IdP goes when
// the parent goes, even by SIGKILL (a Jest worker's `process` never sees the real 'exit').
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

const options = JSON.parse(process.argv[2] ?? 'null');
if (!options) {
  process.stderr.write('test-idp: expected the options as a JSON argument\n');
  process.exit(2);
}

// Notices about how this provider is deployed, all true of a test IdP on purpose: Node 20 is
// "unsupported" only in that oidc-provider is not tested on it, and the in-memory store is the
// point. Anything else the library prints still goes through.
const EXPECTED_NOTICES = [
  'oidc-provider WARNING: Unsupported runtime.',
  'oidc-provider WARNING: a quick start development-only in-memory adapter is used',
];
for (const method of ['warn', 'info']) {
  const print = console[method].bind(console);
  console[method] = (first, ...rest) => {
    // includes, not startsWith: on a terminal the library wraps its notices in colour codes.
    const expected = typeof first === 'string' && EXPECTED_NOTICES.some((notice) => first.includes(notice));
    if (!expected) print(first, ...rest);
  };
}

// Dynamic, so the filter above is in place when the library's top level warns.
const { default: Provider } = await import('oidc-provider');

const { users, password, client } = options;
const html = (text) =>
  String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${html(title)}</title></head>
<body>
<main>
${body}
</main>
</body>
</html>`;
}

function loginPage(uid, error) {
  const alert = error ? `<p role="alert" data-testid="idp-login-error">${html(error)}</p>` : '';
  return page(
    'Test IdP: sign in',
    `<h1>Sign in to the test IdP</h1>
${alert}
<form method="post" action="/interaction/${html(uid)}/login" data-testid="idp-login-form">
  <label for="login">Login</label>
  <input id="login" name="login" data-testid="idp-login" autocomplete="username" required autofocus>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" data-testid="idp-password" autocomplete="current-password" required>
  <button type="submit" data-testid="idp-submit">Sign in</button>
</form>
<p>Test users: ${Object.keys(users).map(html).join(', ')}.</p>`,
  );
}

function findUser(login) {
  return Object.values(users).find((user) => user.login === login || user.email === login);
}

// A fresh signing key each start: nothing outlives the process that could need the old one.
const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

const server = createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(options.port ?? 0, '127.0.0.1', resolve);
});
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: client.clientId,
      client_secret: client.clientSecret,
      token_endpoint_auth_method: 'client_secret_basic',
      response_types: ['code'],
      grant_types: ['authorization_code'],
      redirect_uris: client.redirectUris,
      post_logout_redirect_uris: client.postLogoutRedirectUris,
    },
  ],
  clientAuthMethods: ['client_secret_basic'],
  responseTypes: ['code'],
  pkce: { required: () => true },
  scopes: ['openid', 'profile', 'email', 'groups'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'groups'],
    email: ['email', 'email_verified'],
    groups: ['groups'],
  },
  // By default a code-flow ID token carries only sub and the protocol claims, the rest being for
  // userinfo; the API reads who signed in from the ID token, so it carries the scopes' claims.
  conformIdTokenClaims: false,
  async findAccount(_ctx, sub) {
    const user = Object.values(users).find((candidate) => candidate.sub === sub);
    if (!user) return undefined;
    return {
      accountId: user.sub,
      claims: () => ({ sub: user.sub, name: user.name, email: user.email, email_verified: true, groups: [...user.groups] }),
    };
  },
  jwks: { keys: [{ ...signingKey, kid: `test-idp-${randomUUID()}`, alg: 'RS256', use: 'sig' }] },
  cookies: {
    // Browsers do not scope cookies by port: on 127.0.0.1 these sit next to the API's cookies.
    names: { session: 'test_idp_session', interaction: 'test_idp_interaction', resume: 'test_idp_resume' },
    keys: ['test-idp-cookie-signing-key-not-a-secret'],
  },
  ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
  clientBasedCORS: () => false,
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    resourceIndicators: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.body = page(
          'Test IdP: sign out',
          `<h1>Sign out of the test IdP?</h1>
${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes" data-testid="idp-logout-confirm">Sign out</button>
<button type="submit" form="op.logoutForm" data-testid="idp-logout-cancel">Stay signed in</button>`,
        );
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = page('Test IdP: signed out', '<h1 data-testid="idp-signed-out">Signed out of the test IdP</h1>');
      },
    },
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page(
      'Test IdP: error',
      `<h1 data-testid="idp-error">${html(out.error)}</h1>\n<p data-testid="idp-error-description">${html(out.error_description ?? '')}</p>`,
    );
  },
});

// Refusals are 4xx answers, which the library does not print; a test that provokes one by mistake
// (a wrong client authentication method, an unregistered redirect URI) is explained here.
for (const event of ['authorization.error', 'grant.error', 'end_session.error', 'userinfo.error', 'server_error']) {
  provider.on(event, (_ctx, error) => {
    process.stderr.write(`test-idp: ${event}: ${error.error ?? error.name}: ${error.error_description ?? error.message}\n`);
  });
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 16_384) throw Object.assign(new Error('form too large'), { status: 413 });
  }
  return new URLSearchParams(body);
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(body);
}

/** The login page and its form; consent for this first-party client is given without a page. */
async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) {
    send(res, 400, page('Test IdP: error', '<h1 data-testid="idp-error">interaction mismatch</h1>'));
    return;
  }
  const prompt = details.prompt.name;
  if (action === undefined && req.method === 'GET' && prompt === 'login') {
    send(res, 200, loginPage(uid));
  } else if (action === 'login' && req.method === 'POST' && prompt === 'login') {
    const form = await readForm(req);
    const user = findUser(form.get('login') ?? '');
    if (!user || form.get('password') !== password) {
      send(res, 200, loginPage(uid, 'Invalid login or password.'));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: user.sub } }, { mergeWithLastSubmission: false });
  } else if (action === undefined && req.method === 'GET' && prompt === 'consent') {
    const { missingOIDCScope, missingOIDCClaims } = details.prompt.details;
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
    if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  } else {
    send(res, 400, page('Test IdP: error', `<h1 data-testid="idp-error">no ${html(req.method)} ${html(action ?? '')} for prompt ${html(prompt)}</h1>`));
  }
}

const INTERACTION = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login))?$/;
const providerCallback = provider.callback();
server.on('request', (req, res) => {
  const match = INTERACTION.exec(new URL(req.url ?? '/', issuer).pathname);
  if (!match) {
    providerCallback(req, res);
    return;
  }
  interaction(req, res, match[1], match[2]).catch((error) => {
    // An expired or missing interaction cookie is the visitor's problem (4xx); anything else is ours.
    const status = error.status ?? error.statusCode ?? 500;
    if (status >= 500) process.stderr.write(`test-idp: interaction failed: ${error.stack ?? error}\n`);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const description = error.error_description ?? error.message;
    send(
      res,
      status,
      page('Test IdP: error', `<h1 data-testid="idp-error">${html(error.error ?? 'server_error')}</h1>\n<p data-testid="idp-error-description">${html(description)}</p>`),
    );
  });
});

const stop = () => {
  server.closeAllConnections();
  process.exit(0);
};
process.stdin.on('data', () => undefined);
process.stdin.on('close', stop);
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, stop);

process.stdout.write(`test-idp listening on ${issuer}\n`);
