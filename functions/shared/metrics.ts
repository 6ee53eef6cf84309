/**
 * The custom metrics the alarms watch (infra/resources.yml), as a small interface the
 * factories take: the pure modules decide which metrics a run earns and never import the
 * metrics library; handler.ts gives an EMF sink (emf-metrics.ts), `serverless-dbt local` one
 * that publishes nothing. Namespace `serverless-dbt`; every metric is a Count of 1 with the
 * dimension StateMachine (the state machine's name), and SucceededRuns also Job.
 */
import { logger } from './logger.ts';

export const METRICS_NAMESPACE = 'serverless-dbt';

export const METRIC_NAMES = ['AlarmingRuns', 'SucceededRuns', 'UndeliveredAlerts'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** One data point of 1: a run that alarms, a run that succeeded, an alert Slack did not take. */
export interface CountMetric {
  name: MetricName;
  /** Exactly the dimensions the alarms name: CloudWatch matches the whole set. */
  dimensions: Record<string, string>;
}

export interface MetricSink {
  count: (metric: CountMetric) => void;
}

/** Publishes nothing: local runs, where no alarm watches and EMF JSON would only be noise. */
export const noMetrics: MetricSink = {
  count: (metric) => logger.debug('metric not published (local run)', { metric }),
};
