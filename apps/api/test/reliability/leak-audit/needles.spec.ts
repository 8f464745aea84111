import { findNeedles, maskForReport, needlesFor } from './needles';

const KEY = 'sk-test-needle-0123456789abcdef';

describe('leak-audit needles', () => {
  it('finds a key written as is, with its line', () => {
    const hits = findNeedles(`first line\n{"msg":"using ${KEY}"}\n`, needlesFor(KEY), 'log');
    expect(hits).toEqual([{ needle: expect.objectContaining({ form: 'plain' }), source: 'log', line: 2 }]);
  });

  it.each([0, 1, 2, 3, 4])('finds a key base64-encoded after %i other bytes, in either alphabet', (before) => {
    const prefix = 'x'.repeat(before);
    const base64 = Buffer.from(`${prefix}${KEY}"}`).toString('base64');
    const base64url = Buffer.from(`${prefix}${KEY}?>`).toString('base64url');
    expect(findNeedles(base64, needlesFor(KEY), 'redis').length).toBeGreaterThan(0);
    expect(findNeedles(base64url, needlesFor(KEY), 'redis').length).toBeGreaterThan(0);
  });

  it('does not match a masked key or another key sharing the prefix', () => {
    const text = `{"masked":"sk-…cdef"} sk-test-needle-0123456789abcdeX`;
    expect(findNeedles(text, needlesFor(KEY), 'payload')).toEqual([]);
  });

  it('reports a longer key that extends a shorter one as itself', () => {
    const longer = `${KEY}0000`;
    const hits = findNeedles(longer, [...needlesFor(KEY), ...needlesFor(longer)], 'log');
    expect(hits.map((hit) => hit.needle.key)).toEqual([longer]);
  });

  it('names a found key in reports without printing it', () => {
    expect(maskForReport(KEY)).toBe('sk-…cdef (31 chars)');
    expect(maskForReport(KEY)).not.toContain(KEY.slice(3, 15));
  });
});
