import { KEY_POLICIES, type KeyPolicy, type KeySource } from '@byok/contracts';
import { effectiveKeySource, userKeyRefusal } from './key-policy';
import type { UserKeySource } from './key-store';

describe('effectiveKeySource', () => {
  const table: Array<[KeyPolicy, boolean, UserKeySource | null, KeySource]> = [
    // policy        env    session  result
    ['env-only', true, 'session', 'env'],
    ['env-only', true, null, 'env'],
    ['env-only', false, 'session', 'none'],
    ['env-only', false, null, 'none'],
    ['env-first', true, 'session', 'env'],
    ['env-first', true, null, 'env'],
    ['env-first', false, 'session', 'session'],
    ['env-first', false, null, 'none'],
    ['user-first', true, 'session', 'session'],
    ['user-first', true, null, 'env'],
    ['user-first', false, 'session', 'session'],
    ['user-first', false, null, 'none'],
    ['user-only', true, 'session', 'session'],
    ['user-only', true, null, 'none'],
    ['user-only', false, 'session', 'session'],
    ['user-only', false, null, 'none'],
  ];

  it('covers every policy with every combination of keys', () => {
    expect(table).toHaveLength(KEY_POLICIES.length * 4);
    for (const policy of KEY_POLICIES) {
      expect(table.filter(([p]) => p === policy)).toHaveLength(4);
    }
  });

  it.each(table)('%s with env key %s and session key %s uses %s', (policy, hasEnvKey, hasSessionKey, expected) => {
    expect(effectiveKeySource({ policy, hasEnvKey, userKey: hasSessionKey })).toBe(expected);
  });

  it('reports a signed-in person\'s kept key as user wherever a session key would be used', () => {
    for (const policy of KEY_POLICIES) {
      for (const hasEnvKey of [true, false]) {
        const asSession = effectiveKeySource({ policy, hasEnvKey, userKey: 'session' });
        expect(effectiveKeySource({ policy, hasEnvKey, userKey: 'user' })).toBe(asSession === 'session' ? 'user' : asSession);
      }
    }
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
      const wouldBeUsed = effectiveKeySource({ policy, hasEnvKey, userKey: 'session' }) === 'session';
      expect(userKeyRefusal(policy, hasEnvKey, 'Acme') === null).toBe(wouldBeUsed);
    },
  );
});
