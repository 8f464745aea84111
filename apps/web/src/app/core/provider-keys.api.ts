import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { API_ROUTES, type ProviderKeysResponse } from '@byok/contracts';
import type { Observable } from 'rxjs';

/** Data access for the provider key endpoints of the API. */
@Injectable({ providedIn: 'root' })
export class ProviderKeysApi {
  private readonly http = inject(HttpClient);

  list(): Observable<ProviderKeysResponse> {
    return this.http.get<ProviderKeysResponse>(API_ROUTES.providerKeys);
  }
}
