import { DOCUMENT } from '@angular/common';
import { Injectable, inject } from '@angular/core';

/** The page's address, behind an injectable because a test cannot navigate a real window away. */
@Injectable({ providedIn: 'root' })
export class BrowserLocation {
  private readonly location = inject(DOCUMENT).location;

  /** The path and query of the page shown, such as `/?provider=openai`. */
  pathAndQuery(): string {
    return this.location.pathname + this.location.search;
  }

  /** A full-page navigation: the app is unloaded. */
  assign(url: string): void {
    this.location.assign(url);
  }
}
