import { TestClock } from '../testing/test-clock';
import { StreamWatchdog } from './stream-watchdog';

/** The watchdog's time, moved by the test together with Jest's fake timers. */
describe('StreamWatchdog', () => {
  let clock: TestClock;
  const advance = (ms: number): void => {
    clock.time += ms;
    jest.advanceTimersByTime(ms);
  };

  beforeEach(() => {
    jest.useFakeTimers();
    clock = new TestClock();
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('fires when the first token takes longer than its deadline', () => {
    const watchdog = new StreamWatchdog(clock, new AbortController().signal, 1000, 200);
    advance(999);
    expect(watchdog.fired).toBe(false);
    advance(1);
    expect(watchdog.fired).toBe(true);
    expect(watchdog.signal.aborted).toBe(true);
  });

  it('after the first token, fires only once tokens stop for the idle time', () => {
    const watchdog = new StreamWatchdog(clock, new AbortController().signal, 1000, 200);
    advance(500);
    watchdog.progress();
    for (let token = 0; token < 10; token += 1) {
      advance(150);
      watchdog.progress();
    }
    expect(watchdog.fired).toBe(false);
    advance(199);
    expect(watchdog.fired).toBe(false);
    advance(1);
    expect(watchdog.fired).toBe(true);
  });

  it('follows the caller: its signal aborts when the caller cancels, without firing', () => {
    const caller = new AbortController();
    const watchdog = new StreamWatchdog(clock, caller.signal, 1000, 200);
    caller.abort();
    expect(watchdog.signal.aborted).toBe(true);
    expect(watchdog.fired).toBe(false);
  });

  it('does nothing more once stopped', () => {
    const caller = new AbortController();
    const watchdog = new StreamWatchdog(clock, caller.signal, 1000, 200);
    watchdog.stop();
    advance(5000);
    caller.abort();
    expect(watchdog.fired).toBe(false);
    expect(watchdog.signal.aborted).toBe(false);
  });
});
