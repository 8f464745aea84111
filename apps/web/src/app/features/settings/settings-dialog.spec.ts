import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ApplicationRef } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { MATERIAL_ANIMATIONS } from '@angular/material/core';
import { MatDialog } from '@angular/material/dialog';
import { API_ROUTES, BUILT_IN_KEY_FORMATS, type KeyLifetimeOption, type ProviderKeyStatus } from '@byok/contracts';
import { ProviderKeysStore } from '../../core/provider-keys-store';
import { openSettingsDialog } from './settings-dialog';

function provider(overrides: Partial<ProviderKeyStatus> & Pick<ProviderKeyStatus, 'id' | 'name'>): ProviderKeyStatus {
  return {
    source: 'none',
    masked: null,
    editable: true,
    lockedReason: null,
    policy: 'env-first',
    expiresAt: null,
    lifetime: null,
    keyRequired: true,
    keyFormat: BUILT_IN_KEY_FORMATS.openai,
    ...overrides,
  };
}

const SESSION_ONLY: KeyLifetimeOption[] = [{ id: 'session', label: 'This session only' }];

describe('SettingsDialog', () => {
  let http: HttpTestingController;

  function inDocument<T extends HTMLElement = HTMLElement>(id: string): T | null {
    return document.querySelector<T>(`[data-testid="${id}"]`);
  }

  async function settle(): Promise<void> {
    await TestBed.inject(ApplicationRef).whenStable();
  }

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        { provide: MATERIAL_ANIMATIONS, useValue: { animationsDisabled: true } },
      ],
    });
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  it('shows the API keys panel expanded and focuses the provider it was opened for', async () => {
    openSettingsDialog(TestBed.inject(MatDialog), { focusProvider: 'gemini' });
    await settle();
    http.expectOne(API_ROUTES.providerKeys).flush({
      providers: [
        provider({ id: 'openai', name: 'OpenAI', source: 'env' }),
        provider({ id: 'gemini', name: 'Google Gemini', keyFormat: BUILT_IN_KEY_FORMATS.gemini }),
      ],
      lifetimes: SESSION_ONLY,
    });
    await settle();

    expect(document.querySelector('[role="dialog"] h2')?.textContent).toBe('Settings');
    expect(document.querySelector('mat-expansion-panel-header')?.getAttribute('aria-expanded')).toBe('true');
    await vi.waitFor(() => expect(document.activeElement).toBe(inDocument('key-input-gemini')));
  });

  it('passes key changes to the store, which tells the chat the keys changed', async () => {
    const store = TestBed.inject(ProviderKeysStore);
    const changes: unknown[] = [];
    store.changes.subscribe((providers) => changes.push(providers));
    openSettingsDialog(TestBed.inject(MatDialog));
    await settle();
    const openai = provider({ id: 'openai', name: 'OpenAI', source: 'session', masked: 'sk-…Y6hJ' });
    http.expectOne(API_ROUTES.providerKeys).flush({ providers: [openai], lifetimes: SESSION_ONLY });
    await settle();

    inDocument('clear-key-openai')?.click();
    await settle();
    inDocument('confirm-clear')?.click();
    await settle();
    const cleared = [provider({ id: 'openai', name: 'OpenAI' })];
    http.expectOne(API_ROUTES.clearProviderKey).flush({ providers: cleared, lifetimes: SESSION_ONLY });
    await settle();

    expect(changes).toEqual([cleared]);
    expect(store.providers()).toEqual(cleared);
  });
});
