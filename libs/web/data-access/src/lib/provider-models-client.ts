import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { API_ROUTES, type ProviderId, type ProviderModelsResponse } from '@byok/contracts';
import type { Observable } from 'rxjs';
import { API_BASE_URL, apiUrl } from './api-base-url';

/** The models a provider offers with the key in effect; fails (e.g. `no_key`) without one. */
@Injectable({ providedIn: 'root' })
export class ProviderModelsClient {
  private readonly http = inject(HttpClient);
  private readonly baseUrl = inject(API_BASE_URL);

  listModels(provider: ProviderId): Observable<ProviderModelsResponse> {
    const path = API_ROUTES.providerModels.replace(':id', encodeURIComponent(provider));
    return this.http.get<ProviderModelsResponse>(apiUrl(this.baseUrl, path));
  }
}
