import { type HostRule, parseHost } from '../config/config-parsers';
import { hostAllowed } from './host-policy';

const RULES: HostRule[] = [
  { hostname: 'chat.example.com', subdomains: false },
  { hostname: 'corp.example', subdomains: true },
  { hostname: '10.0.0.5', port: 8443, subdomains: false },
  { hostname: '[::1]', subdomains: false },
];

describe('hostAllowed', () => {
  it.each([
    'chat.example.com',
    'chat.example.com:443',
    'CHAT.example.COM:3000',
    'chat.example.com.',
    'chat.example.com.:8443',
    'corp.example',
    'eu.chat.corp.example:443',
    '10.0.0.5:8443',
    '[::1]:3000',
  ])('allows %s', (host) => {
    expect(hostAllowed(host, RULES)).toBe(true);
  });

  it.each([
    undefined,
    '',
    'attacker.example:3500',
    'chat.example.com.attacker.example',
    'evilchat.example.com',
    'xcorp.example',
    '10.0.0.5',
    '10.0.0.5:3000',
    'chat.example.com:99999',
    'user@chat.example.com',
    'chat.example.com/path',
    'chat.example.com\r\nx: y',
    'chat.example.com ',
    '[::2]',
  ])('refuses %p', (host) => {
    expect(hostAllowed(host, RULES)).toBe(false);
  });
});

describe('parseHost', () => {
  it('splits the port off and lowercases', () => {
    expect(parseHost('LocalHost:3000')).toEqual({ hostname: 'localhost', port: 3000 });
    expect(parseHost('[::1]')).toEqual({ hostname: '[::1]' });
  });
});
