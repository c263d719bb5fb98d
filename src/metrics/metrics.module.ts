import { Global, Module } from '@nestjs/common';
import { IntegratorDeliveryMetrics } from './integrator-delivery.metrics';
import { MetricsController } from './metrics.controller';
import { MetricsGuard } from './metrics.guard';
import { Metrics } from './metrics.service';

@Global()
@Module({
  controllers: [MetricsController],
  providers: [Metrics, IntegratorDeliveryMetrics, MetricsGuard],
  exports: [Metrics, IntegratorDeliveryMetrics],
})
export class MetricsModule {}
