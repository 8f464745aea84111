import { Injectable } from '@angular/core';

/** The current time, injectable so that tests can fix it. */
@Injectable({ providedIn: 'root' })
export class Clock {
  now(): Date {
    return new Date();
  }
}
