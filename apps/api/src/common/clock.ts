import { Global, Injectable, Module } from '@nestjs/common';

/** The time, behind an injectable so expiry rules can be tested without waiting. */
@Injectable()
export class Clock {
  now(): number {
    return Date.now();
  }
}

@Global()
@Module({ providers: [Clock], exports: [Clock] })
export class ClockModule {}
