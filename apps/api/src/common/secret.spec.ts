import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { format, inspect } from 'node:util';
import { Secret } from './secret';

const VALUE = 'sk-proj-Q7xW2mPz9LkT4vR8nB3cY6hJ';

describe('Secret', () => {
  const secret = new Secret(VALUE);

  it('reveal() returns the value', () => {
    expect(secret.reveal()).toBe(VALUE);
  });

  it('reports the length of the value', () => {
    expect(secret.length).toBe(VALUE.length);
  });

  it('masks String()', () => {
    expect(String(secret)).toBe('[secret]');
  });

  it('masks template literals and concatenation', () => {
    expect(`key=${secret}`).toBe('key=[secret]');
    expect('key=' + secret).toBe('key=[secret]');
  });

  it('masks JSON.stringify, alone and nested in objects and arrays', () => {
    expect(JSON.stringify(secret)).toBe('"[secret]"');
    const nested = JSON.stringify({ provider: 'openai', apiKey: secret, deeper: { keys: [secret] } });
    expect(nested).not.toContain(VALUE);
    expect(JSON.parse(nested)).toEqual({ provider: 'openai', apiKey: '[secret]', deeper: { keys: ['[secret]'] } });
  });

  it('masks util.inspect, alone, nested and with hidden properties shown', () => {
    expect(inspect(secret)).toBe('[secret]');
    expect(inspect({ a: { b: { c: secret } } }, { depth: Infinity })).not.toContain(VALUE);
    expect(inspect(secret, { showHidden: true, getters: true })).not.toContain(VALUE);
    expect(inspect([secret])).toContain('[secret]');
  });

  it('masks console-style formatting (%s %o %O %j)', () => {
    const text = format('%s %o %O %j', secret, secret, { secret }, { secret });
    expect(text).not.toContain(VALUE);
    expect(text).toBe("[secret] [secret] { secret: [secret] } {\"secret\":\"[secret]\"}");
  });

  it('masks values passed straight to console.log', () => {
    let written = '';
    const sink = new Writable({
      write(chunk, _encoding, done) {
        written += String(chunk);
        done();
      },
    });
    const logger = new Console({ stdout: sink, stderr: sink });
    logger.log(secret);
    logger.log('key %s', secret);
    logger.error({ request: { headers: { authorization: secret } } });
    expect(written).not.toContain(VALUE);
    expect(written.match(/\[secret\]/g)).toHaveLength(3);
  });

  it('masks when embedded in an Error message', () => {
    expect(new Error(`bad key ${secret}`).message).toBe('bad key [secret]');
  });

  it('copies nothing when spread or enumerated', () => {
    expect(Object.keys(secret)).toEqual([]);
    expect(JSON.stringify({ ...secret })).toBe('{}');
  });
});
