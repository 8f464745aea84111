import { envOf, parseDockerfile, stage } from './dockerfile';
import { all, type Directive } from './nginx-conf';
import { environmentOf, loadCompose, readText } from './workspace';

/**
 * What the proxy container renders its template with: the image's ENV, then the environment of
 * docker-compose.yml and of any override on top of it, in order.
 */
export function proxyContainerVars(...composeFiles: string[]): Record<string, string> {
  const vars: Record<string, string> = Object.fromEntries(
    envOf(stage(parseDockerfile(readText('docker/Dockerfile')).stages, 'proxy')),
  );
  for (const file of composeFiles) Object.assign(vars, environmentOf(loadCompose(file).services['proxy'] ?? {}));
  // Compose interpolates this from .env; its default is what a blank .env gives.
  vars['BYOK_PUBLIC_HTTPS_PORT'] = '443';
  return vars;
}

/**
 * The request headers a server block fills from oauth2-proxy's answer (auth_request_set, then
 * proxy_set_header with that variable), by the response header they copy (`x-auth-request-user`).
 */
export function identityHeaders(server: readonly Directive[]): Map<string, string> {
  const source = new Map(
    all(server, 'auth_request_set').map((directive) => [
      directive.args[0],
      directive.args[1].replace(/^\$upstream_http_/, '').replace(/_/g, '-'),
    ]),
  );
  const headers = new Map<string, string>();
  for (const directive of all(server, 'proxy_set_header')) {
    const from = source.get(directive.args[1]);
    if (from) headers.set(from, directive.args[0]);
  }
  return headers;
}
