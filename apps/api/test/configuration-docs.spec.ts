import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PER_PROVIDER_SETTINGS, SETTINGS } from '../src/config/settings';

/** docs/configuration.md and the settings the code reads cannot drift apart. */
describe('docs/configuration.md', () => {
  const doc = readFileSync(join(__dirname, '../../../docs/configuration.md'), 'utf8');
  const documented = new Set([...doc.matchAll(/^\| `([A-Z_<>]+)` \|/gm)].map((match) => match[1]));

  it('documents every setting the API reads', () => {
    const missing = [...SETTINGS, ...PER_PROVIDER_SETTINGS].map((setting) => setting.name).filter((name) => !documented.has(name));
    expect(missing).toEqual([]);
  });

  it('documents no setting the API does not read', () => {
    const known = new Set([...SETTINGS, ...PER_PROVIDER_SETTINGS].map((setting) => setting.name));
    expect([...documented].filter((name) => !known.has(name))).toEqual([]);
  });

  it('states the same defaults as the code', () => {
    for (const setting of SETTINGS) {
      if (setting.default === null || setting.default === '' || setting.default === '[]') continue;
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${setting.name}\` |`));
      expect({ name: setting.name, row: row?.includes(`\`${setting.default}\``) }).toEqual({ name: setting.name, row: true });
    }
  });
});
