import { InjectionToken } from '@angular/core';

/**
 * Prefix of every API request and of the chat socket: '' for the same origin (the default and
 * the recommended deployment), a path prefix such as '/byok' behind a reverse proxy, or an
 * absolute origin. Angular's XSRF interceptor only adds its header to relative URLs, so an
 * absolute origin also needs the API to accept the request without it.
 */
export const API_BASE_URL = new InjectionToken<string>('API_BASE_URL', {
  providedIn: 'root',
  factory: () => '',
});

/** Joins the base URL and an absolute API path without doubling the slash between them. */
export function apiUrl(baseUrl: string, path: string): string {
  return baseUrl.replace(/\/+$/, '') + path;
}
