import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import type { ProviderModelsResponse } from '@byok/contracts';
import { firstValueFrom } from 'rxjs';
import { API_BASE_URL } from './api-base-url';
import { ProviderModelsClient } from './provider-models-client';

describe('ProviderModelsClient', () => {
  afterEach(() => TestBed.inject(HttpTestingController).verify());

  it("gets a provider's models from /api/providers/:id/models", async () => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
    const models = firstValueFrom(TestBed.inject(ProviderModelsClient).listModels('openai'));

    const request = TestBed.inject(HttpTestingController).expectOne('/api/providers/openai/models');
    expect(request.request.method).toBe('GET');
    const body: ProviderModelsResponse = { provider: 'openai', models: [{ id: 'gpt-4o', name: 'GPT-4o' }] };
    request.flush(body);

    expect(await models).toEqual(body);
  });

  it('escapes the provider id and honours API_BASE_URL', () => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting(), { provide: API_BASE_URL, useValue: '/byok' }],
    });
    TestBed.inject(ProviderModelsClient).listModels('a/b').subscribe();

    TestBed.inject(HttpTestingController).expectOne('/byok/api/providers/a%2Fb/models').flush({});
  });
});
