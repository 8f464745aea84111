import { anthropicProtocol } from './anthropic';
import { geminiProtocol } from './gemini';
import { openAiProtocol } from './openai';
import type { WireProtocol } from './protocol';

export interface Route {
  /** `openai`, `anthropic`, `gemini`, or the prefix of an OpenAI-compatible provider (`ollama`). */
  provider: string;
  protocol: WireProtocol;
  /** The path below the provider's base URL, as the SDK appends it. */
  path: string;
}

const FIXED_PREFIXES: ReadonlyArray<{ prefix: string; protocol: WireProtocol }> = [
  { prefix: '/anthropic', protocol: anthropicProtocol },
  { prefix: '/gemini', protocol: geminiProtocol },
];

/** Any `/<provider>/v1/...` path speaks OpenAI, as Ollama and other compatible servers do. */
const OPENAI_COMPATIBLE = /^\/(.+?)\/v1(\/.*)?$/;

export function routeOf(pathname: string): Route | null {
  for (const { prefix, protocol } of FIXED_PREFIXES) {
    if (pathname === prefix || pathname.startsWith(`${prefix}/`)) {
      return { provider: protocol.family, protocol, path: pathname.slice(prefix.length) || '/' };
    }
  }
  const compatible = OPENAI_COMPATIBLE.exec(pathname);
  if (compatible) {
    return { provider: compatible[1], protocol: openAiProtocol, path: compatible[2] ?? '/' };
  }
  return null;
}

/** The base URL an SDK should be given for a provider, mirroring {@link routeOf}. */
export function providerBasePath(provider: string): string {
  if (provider === 'anthropic' || provider === 'gemini') {
    return `/${provider}`;
  }
  return `/${provider}/v1`;
}
