import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { MATERIAL_ANIMATIONS } from '@angular/material/core';
import { provideRouter } from '@angular/router';
import { API_ROUTES } from '@byok/contracts';
import { App } from './app';

describe('App', () => {
  beforeEach(() => {
    TestBed.configureTestingModule({
      imports: [App],
      providers: [
        provideRouter([]),
        provideHttpClient(),
        provideHttpClientTesting(),
        { provide: MATERIAL_ANIMATIONS, useValue: { animationsDisabled: true } },
      ],
    });
  });

  it('shows the product name in the toolbar', async () => {
    const fixture = TestBed.createComponent(App);
    await fixture.whenStable();

    const toolbar = (fixture.nativeElement as HTMLElement).querySelector('mat-toolbar');
    expect(toolbar?.textContent).toContain('BYOK Chat');
  });

  it('opens the settings from the toolbar and gives focus back to the button on close', async () => {
    const fixture = TestBed.createComponent(App);
    await fixture.whenStable();
    const button = (fixture.nativeElement as HTMLElement).querySelector<HTMLButtonElement>(
      '[data-testid="open-settings"]',
    );
    expect(button?.getAttribute('aria-label')).toBe('Settings');

    button?.focus();
    button?.click();
    await vi.waitFor(() => expect(document.querySelector('app-settings-dialog byok-keys-panel')).not.toBeNull());
    await fixture.whenStable();
    TestBed.inject(HttpTestingController).expectOne(API_ROUTES.providerKeys).flush({ providers: [] });
    await fixture.whenStable();
    expect(document.querySelector('[role="dialog"]')?.textContent).toContain('Settings');

    document.querySelector<HTMLButtonElement>('[data-testid="close-settings"]')?.click();
    await fixture.whenStable();
    await vi.waitFor(() => expect(document.querySelector('app-settings-dialog')).toBeNull());

    expect(document.activeElement).toBe(button);
  });
});
