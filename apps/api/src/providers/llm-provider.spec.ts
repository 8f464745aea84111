import { Secret } from '../common/secret';
import { loadConfig } from '../config/app-config';
import { LlmProvider } from './llm-provider';
import type { ChatFinish, ProviderAdapter, ProviderTarget } from './provider-adapter';

describe('LlmProvider', () => {
  const config = loadConfig({}).providers.find((provider) => provider.id === 'openai');
  const seen: Array<string | null> = [];
  const adapter: ProviderAdapter = {
    family: 'openai',
    listModels: async (target: ProviderTarget) => {
      seen.push(target.apiKey?.reveal() ?? null);
      return [];
    },
    streamChat: async (): Promise<ChatFinish> => ({ finishReason: 'stop' }),
  };

  it('is frozen once built, so a provider made for one key can never carry another', () => {
    if (!config) throw new Error('no openai provider');
    const provider = new LlmProvider(config, new Secret('sk-test-first-user-0123456789'), adapter);
    expect(Object.isFrozen(provider)).toBe(true);
    expect(() => {
      (provider as { apiKey: Secret | null }).apiKey = new Secret('sk-test-second-user-0123456789');
    }).toThrow(TypeError);
    expect(provider.apiKey?.reveal()).toBe('sk-test-first-user-0123456789');
  });

  it('answers setApiKey with a new binding and leaves the first one as it was', async () => {
    if (!config) throw new Error('no openai provider');
    const first = new LlmProvider(config, new Secret('sk-test-first-user-0123456789'), adapter);
    const second = first.setApiKey(new Secret('sk-test-second-user-0123456789'));
    expect(second).not.toBe(first);
    await first.listModels(new AbortController().signal);
    await second.listModels(new AbortController().signal);
    expect(seen).toEqual(['sk-test-first-user-0123456789', 'sk-test-second-user-0123456789']);
  });
});
