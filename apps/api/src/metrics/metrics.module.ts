import { Global, Module } from '@nestjs/common';
import { Metrics } from './metrics';
import { MetricsServer } from './metrics-server';
import { RedisMetrics } from './redis-metrics';

/**
 * Prometheus series for this instance, counted where streams and key events are already
 * audited; served on METRICS_PORT (MetricsServer) and, with METRICS_TOKEN, on the main port
 * (metricsRoute, mounted by the app factory).
 */
@Global()
@Module({ providers: [Metrics, MetricsServer, RedisMetrics], exports: [Metrics] })
export class MetricsModule {}
