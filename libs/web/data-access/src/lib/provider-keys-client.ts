import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import {
  API_ROUTES,
  type ClearProviderKeyRequest,
  type KeyLifetimeId,
  type ProviderId,
  type ProviderKeyStatus,
  type ProviderKeysResponse,
  type SetProviderKeyRequest,
  type ValidateProviderKeyRequest,
  type ValidateProviderKeyResponse,
} from '@byok/contracts';
import type { Observable } from 'rxjs';
import { API_BASE_URL, apiUrl } from './api-base-url';

/**
 * The provider key endpoints of the API. POSTs rely on `withXsrfConfiguration` for the
 * X-XSRF-TOKEN header; the GET is what sets the XSRF-TOKEN cookie in the first place.
 */
@Injectable({ providedIn: 'root' })
export class ProviderKeysClient {
  private readonly http = inject(HttpClient);
  private baseUrl: () => string;

  constructor() {
    const configured = inject(API_BASE_URL);
    this.baseUrl = () => configured;
  }

  /**
   * Makes this instance follow another base URL, such as a component input. Only call it on an
   * instance the caller provides itself, never on the root one.
   */
  useBaseUrl(baseUrl: () => string): void {
    this.baseUrl = baseUrl;
  }

  getProviderKeys(): Observable<ProviderKeysResponse> {
    return this.http.get<ProviderKeysResponse>(this.url(API_ROUTES.providerKeys));
  }

  /** Without a lifetime the server keeps the key for its default one (the first it offers). */
  setProviderKey(provider: ProviderId, apiKey: string, lifetime?: KeyLifetimeId): Observable<ProviderKeyStatus> {
    const body: SetProviderKeyRequest = lifetime === undefined ? { provider, apiKey } : { provider, apiKey, lifetime };
    return this.http.post<ProviderKeyStatus>(this.url(API_ROUTES.setProviderKey), body);
  }

  clearProviderKey(provider: ProviderId): Observable<ProviderKeysResponse> {
    const body: ClearProviderKeyRequest = { provider };
    return this.http.post<ProviderKeysResponse>(this.url(API_ROUTES.clearProviderKey), body);
  }

  clearAllProviderKeys(): Observable<ProviderKeysResponse> {
    const body: ClearProviderKeyRequest = { all: true };
    return this.http.post<ProviderKeysResponse>(this.url(API_ROUTES.clearProviderKey), body);
  }

  /** Tries `apiKey` against the provider, or the key in effect when it is left out. */
  validateProviderKey(
    provider: ProviderId,
    apiKey?: string,
  ): Observable<ValidateProviderKeyResponse> {
    const body: ValidateProviderKeyRequest = apiKey === undefined ? { provider } : { provider, apiKey };
    return this.http.post<ValidateProviderKeyResponse>(this.url(API_ROUTES.validateProviderKey), body);
  }

  private url(path: string): string {
    return apiUrl(this.baseUrl(), path);
  }
}
