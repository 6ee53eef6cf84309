// The metrics sink of the deployed Lambdas: CloudWatch's embedded metric format, one JSON line
// per metric in the function's log, written by Powertools Metrics. CloudWatch turns the line
// into the metric; no API call, no permission.
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, type MetricSink } from './metrics.ts';

export function emfMetrics(): MetricSink {
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE });
  // Powertools adds a `service` dimension by default; an alarm matches a metric only by its
  // whole set of dimensions, and the alarms name exactly the ones each metric is given.
  metrics.clearDefaultDimensions();
  return {
    count: ({ name, dimensions }) => {
      metrics.addDimensions(dimensions);
      metrics.addMetric(name, MetricUnit.Count, 1);
      // One line per metric: AlarmingRuns and SucceededRuns have different dimensions.
      metrics.publishStoredMetrics();
    },
  };
}
