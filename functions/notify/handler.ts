// Notify in Lambda (notify-handler.ts): its settings, read once per container so that a bad
// one fails the first invocation, named. Secrets Manager's client is built by the secrets
// middleware on the first read of the webhook secret; SNS's publishes the alerts Slack did not
// take to the alarm topic; its metrics are EMF lines in its log.
import { SNSClient } from '@aws-sdk/client-sns';
import { emfMetrics } from '../shared/emf-metrics.ts';
import { createNotify } from './notify-handler.ts';
import { readNotifyConfig } from './settings.ts';

export const handler = createNotify({
  config: readNotifyConfig(process.env),
  metrics: emfMetrics(),
  sns: new SNSClient({}),
});
