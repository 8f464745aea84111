import { KEY_POLICIES, type KeyPolicy, type KeySource } from '@byok/contracts';
import { effectiveKeySource, userKeyRefusal } from './key-policy';

describe('effectiveKeySource', () => {
  const table: Array<[KeyPolicy, boolean, boolean, KeySource]> = [
    // policy        env    session  result
    ['env-only', true, true, 'env'],
    ['env-only', true, false, 'env'],
    ['env-only', false, true, 'none'],
    ['env-only', false, false, 'none'],
    ['env-first', true, true, 'env'],
    ['env-first', true, false, 'env'],
    ['env-first', false, true, 'session'],
    ['env-first', false, false, 'none'],
    ['user-first', true, true, 'session'],
    ['user-first', true, false, 'env'],
    ['user-first', false, true, 'session'],
    ['user-first', false, false, 'none'],
    ['user-only', true, true, 'session'],
    ['user-only', true, false, 'none'],
    ['user-only', false, true, 'session'],
    ['user-only', false, false, 'none'],
  ];

  it('covers every policy with every combination of keys', () => {
    expect(table).toHaveLength(KEY_POLICIES.length * 4);
    for (const policy of KEY_POLICIES) {
      expect(table.filter(([p]) => p === policy)).toHaveLength(4);
    }
  });

  it.each(table)('%s with env key %s and session key %s uses %s', (policy, hasEnvKey, hasSessionKey, expected) => {
    expect(effectiveKeySource({ policy, hasEnvKey, hasSessionKey })).toBe(expected);
  });
});

describe('userKeyRefusal', () => {
  it('refuses personal keys under env-only even when the server has no key', () => {
    expect(userKeyRefusal('env-only', true, 'OpenAI')).toContain('OpenAI');
    expect(userKeyRefusal('env-only', false, 'OpenAI')).toContain('OpenAI');
  });

  it('refuses personal keys under env-first when the server key would take precedence', () => {
    expect(userKeyRefusal('env-first', true, 'Anthropic')).toMatch(/Anthropic.*precedence/);
  });

  it('allows personal keys under env-first when the server has no key', () => {
    expect(userKeyRefusal('env-first', false, 'Anthropic')).toBeNull();
  });

  it.each(['user-first', 'user-only'] as const)('allows personal keys under %s whether or not the server has a key', (policy) => {
    expect(userKeyRefusal(policy, true, 'Gemini')).toBeNull();
    expect(userKeyRefusal(policy, false, 'Gemini')).toBeNull();
  });

  it.each(KEY_POLICIES.flatMap((policy) => [[policy, true], [policy, false]] as Array<[KeyPolicy, boolean]>))(
    'under %s with env key %s, refuses a personal key exactly when it would not be used',
    (policy, hasEnvKey) => {
      const wouldBeUsed = effectiveKeySource({ policy, hasEnvKey, hasSessionKey: true }) === 'session';
      expect(userKeyRefusal(policy, hasEnvKey, 'Acme') === null).toBe(wouldBeUsed);
    },
  );
});
