import { provideHttpClient, withInterceptors, withXsrfConfiguration } from '@angular/common/http';
import {
  ApplicationConfig,
  inject,
  provideAppInitializer,
  provideBrowserGlobalErrorListeners,
  provideZonelessChangeDetection,
} from '@angular/core';
import { MatIconRegistry } from '@angular/material/icon';
import { provideRouter } from '@angular/router';
import { XSRF_COOKIE_NAME, XSRF_HEADER_NAME } from '@byok/contracts';
import { unauthenticatedInterceptor } from '@byok/web/data-access';
import { routes } from './app.routes';

export const appConfig: ApplicationConfig = {
  providers: [
    provideBrowserGlobalErrorListeners(),
    provideZonelessChangeDetection(),
    provideHttpClient(
      // A call refused because no one is signed in sends the browser to sign in.
      withInterceptors([unauthenticatedInterceptor]),
      // The API's CSRF check expects Angular's default names; naming them here keeps the
      // client bound to the shared contract rather than to Angular's defaults.
      withXsrfConfiguration({ cookieName: XSRF_COOKIE_NAME, headerName: XSRF_HEADER_NAME }),
    ),
    provideRouter(routes),
    // Icons come from the self-hosted `material-symbols` font, not the legacy Material Icons one.
    provideAppInitializer(() => {
      inject(MatIconRegistry).setDefaultFontSetClass('material-symbols-outlined');
    }),
  ],
};
