import { DOCUMENT, InjectionToken, inject } from '@angular/core';

/** Runs a callback before the next repaint; returns a function that cancels it. */
export type NextFrame = (callback: () => void) => () => void;

/** The browser's `requestAnimationFrame`, behind a token so tests can decide when a frame happens. */
export const NEXT_FRAME = new InjectionToken<NextFrame>('NEXT_FRAME', {
  providedIn: 'root',
  factory: () => {
    const window = inject(DOCUMENT).defaultView;
    if (!window) {
      throw new Error('Animation frames need a browser window.');
    }
    return (callback) => {
      const id = window.requestAnimationFrame(callback);
      return () => window.cancelAnimationFrame(id);
    };
  },
});
