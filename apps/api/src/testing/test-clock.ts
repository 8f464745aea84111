import type { Clock } from '../common/clock';

/** A clock unit tests move by hand. */
export class TestClock implements Clock {
  constructor(public time = 1_000_000) {}

  now(): number {
    return this.time;
  }

  advance(ms: number): void {
    this.time += ms;
  }
}
