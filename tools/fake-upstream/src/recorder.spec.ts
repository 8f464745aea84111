import { FakeUpstream } from './index';

describe('fake upstream recorder', () => {
  const fake = new FakeUpstream({ keys: { openai: null }, recordLimit: 2 });

  beforeAll(async () => {
    await fake.start();
  });
  afterAll(async () => {
    await fake.stop();
  });

  it('keeps only the newest recordLimit ended requests while still counting all of them', async () => {
    for (const model of ['a', 'b', 'c']) {
      const response = await fetch(`${fake.urlFor('openai')}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
      });
      await response.json();
    }

    expect(fake.requests.map((request) => request.model)).toEqual(['b', 'c']);
    expect(fake.stats().totalRequests).toBe(3);
  });

  it('waitForRequest resolves when a matching request arrives later, and rejects after its timeout', async () => {
    const waiting = fake.waitForRequest((request) => request.model === 'late', 1_000);
    await fetch(`${fake.urlFor('openai')}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'late', messages: [{ role: 'user', content: 'hi' }] }),
    });

    await expect(waiting).resolves.toMatchObject({ model: 'late', path: '/openai/v1/chat/completions' });
    await expect(fake.waitForRequest((request) => request.model === 'never', 50)).rejects.toThrow(/within 50 ms/);
  });
});
