import { loadConfig } from './app-config';
import { PER_PROVIDER_SETTINGS, providerEnvStem, SETTINGS } from './settings';

/** Fixed secrets, so two loads differ only by the settings given. */
const SECRETS = {
  SESSION_SECRET: 'session-secret-0123456789-abcdefghijkl',
  KEYSTORE_SECRETS: 'keystore-secret-0123456789-abcdefghijk',
};

/** Settings whose absence the code decides (by NODE_ENV or the topology); their docs say how in words. */
const DECIDED_BY_CODE = ['ALLOWED_HOSTS', 'API_DOCS', 'REDIS_REPLICA_ACKS'];

describe('SETTINGS, read from the config schemas', () => {
  it('lists each setting once, the sign-in ones included', () => {
    const names = SETTINGS.map((setting) => setting.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['PORT', 'REDIS_SENTINELS', 'AUTH_MODE', 'AUTH_PROXY_USER_HEADER', 'OIDC_ISSUER', 'KEY_LIFETIMES']));
  });

  it('documents every setting', () => {
    expect(SETTINGS.filter((setting) => setting.description.length < 10)).toEqual([]);
  });

  it('states the defaults the parsers apply', () => {
    const defaults = loadConfig(SECRETS);
    const withDefaults = SETTINGS.filter((setting) => setting.default !== null && !DECIDED_BY_CODE.includes(setting.name));
    expect(withDefaults.length).toBeGreaterThan(20);
    for (const { name, default: value } of withDefaults) {
      expect({ name, config: loadConfig({ ...SECRETS, [name]: value }) }).toEqual({ name, config: defaults });
    }
  });

  it('names the per-provider settings as each provider reads them', () => {
    expect(PER_PROVIDER_SETTINGS.map((setting) => setting.name)).toEqual([
      '<PROVIDER>_API_KEY',
      '<PROVIDER>_BASE_URL',
      'KEY_POLICY_<PROVIDER>',
      'KEY_ENV_GROUPS_<PROVIDER>',
    ]);
    expect(providerEnvStem('my-llm')).toBe('MY_LLM');
  });
});
