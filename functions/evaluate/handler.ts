// Evaluate in Lambda (evaluate-handler.ts): its settings, read once per container so that a
// bad one fails the first invocation, named; summary.json from S3; its metrics as EMF lines
// in its log.
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { emfMetrics } from '../shared/emf-metrics.ts';
import { describedExecutionInput } from '../shared/execution-input.ts';
import { createEvaluate } from './evaluate-handler.ts';
import { readEvaluateConfig } from './settings.ts';

export const handler = createEvaluate({
  config: readEvaluateConfig(process.env),
  s3: new S3Client({}),
  metrics: emfMetrics(),
  executionInput: describedExecutionInput(new SFNClient({})),
});
