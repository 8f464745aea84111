import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { API_ROUTES, type ProviderKeysResponse } from '@byok/contracts';
import { firstValueFrom } from 'rxjs';
import { API_BASE_URL } from './api-base-url';
import { ProviderKeysClient } from './provider-keys-client';

describe('ProviderKeysClient', () => {
  function setUp(baseUrl?: string): { client: ProviderKeysClient; http: HttpTestingController } {
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        ...(baseUrl === undefined ? [] : [{ provide: API_BASE_URL, useValue: baseUrl }]),
      ],
    });
    return { client: TestBed.inject(ProviderKeysClient), http: TestBed.inject(HttpTestingController) };
  }

  afterEach(() => TestBed.inject(HttpTestingController).verify());

  it('gets the key status of every provider from the same origin by default', async () => {
    const { client, http } = setUp();
    const response = firstValueFrom(client.getProviderKeys());

    const request = http.expectOne(API_ROUTES.providerKeys);
    expect(request.request.method).toBe('GET');
    const body: ProviderKeysResponse = { providers: [], lifetimes: [{ id: 'session', label: 'This session only' }] };
    request.flush(body);

    expect(await response).toEqual(body);
  });

  it('posts the provider and key to set a key, without a lifetime unless one is chosen', () => {
    const { client, http } = setUp();
    client.setProviderKey('openai', 'sk-proj-abcdefghijklmnop').subscribe();
    client.setProviderKey('openai', 'sk-proj-abcdefghijklmnop', '7d').subscribe();

    const [byDefault, chosen] = http.match(API_ROUTES.setProviderKey);
    expect(byDefault?.request.method).toBe('POST');
    expect(byDefault?.request.body).toEqual({ provider: 'openai', apiKey: 'sk-proj-abcdefghijklmnop' });
    expect(Object.keys(byDefault?.request.body ?? {})).not.toContain('lifetime');
    expect(chosen?.request.body).toEqual({ provider: 'openai', apiKey: 'sk-proj-abcdefghijklmnop', lifetime: '7d' });
    byDefault?.flush({});
    chosen?.flush({});
  });

  it('clears one provider with {provider} and all of them with {all: true}', () => {
    const { client, http } = setUp();
    client.clearProviderKey('anthropic').subscribe();
    client.clearAllProviderKeys().subscribe();

    const [one, all] = http.match(API_ROUTES.clearProviderKey);
    expect(one?.request.method).toBe('POST');
    expect(one?.request.body).toEqual({ provider: 'anthropic' });
    expect(all?.request.body).toEqual({ all: true });
    one?.flush({ providers: [] });
    all?.flush({ providers: [] });
  });

  it('validates a typed key, or the key in effect when none is given', () => {
    const { client, http } = setUp();
    client.validateProviderKey('gemini', 'AIzaSyD4f8Gh2Jk6Lm0Np3Qr7St9Uv1Wx5Yz').subscribe();
    client.validateProviderKey('gemini').subscribe();

    const [typed, inEffect] = http.match(API_ROUTES.validateProviderKey);
    expect(typed?.request.body).toEqual({ provider: 'gemini', apiKey: 'AIzaSyD4f8Gh2Jk6Lm0Np3Qr7St9Uv1Wx5Yz' });
    expect(inEffect?.request.body).toEqual({ provider: 'gemini' });
    expect(Object.keys(inEffect?.request.body ?? {})).not.toContain('apiKey');
    typed?.flush({ valid: true });
    inEffect?.flush({ valid: false, reason: 'invalid' });
  });

  it('prefixes every request with API_BASE_URL, without doubling the slash', () => {
    const { client, http } = setUp('/byok/');
    client.getProviderKeys().subscribe();

    http.expectOne(`/byok${API_ROUTES.providerKeys}`).flush({ providers: [] });
  });

  it('follows a base URL given later, such as a component input', () => {
    const { client, http } = setUp();
    const baseUrl = signal('/one');
    client.useBaseUrl(baseUrl);

    client.getProviderKeys().subscribe();
    http.expectOne(`/one${API_ROUTES.providerKeys}`).flush({ providers: [] });

    baseUrl.set('/two');
    client.getProviderKeys().subscribe();
    http.expectOne(`/two${API_ROUTES.providerKeys}`).flush({ providers: [] });
  });
});
