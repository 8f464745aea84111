import * as hdr from 'hdr-histogram-js';

/** Percentiles in milliseconds, as every figure of the report is given. */
export interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** A latency histogram recording microseconds (3 significant digits), read back in milliseconds. */
export class Latency {
  private readonly histogram = hdr.build({
    bitBucketSize: 64,
    autoResize: true,
    lowestDiscernibleValue: 1,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });

  recordMs(ms: number): void {
    this.histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  add(other: Latency): void {
    this.histogram.add(other.histogram);
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  percentiles(): Percentiles {
    const at = (percentile: number): number => round(this.histogram.getValueAtPercentile(percentile) / 1000);
    return {
      count: this.histogram.totalCount,
      p50: at(50),
      p90: at(90),
      p99: at(99),
      p999: at(99.9),
      max: round(this.histogram.maxValue / 1000),
      mean: round(this.histogram.mean / 1000),
    };
  }
}

export function round(value: number, digits = 3): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
