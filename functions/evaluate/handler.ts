// Evaluate in Lambda (evaluate-handler.ts): its settings, read once per container so that a
// bad one fails the first invocation, named; summary.json from S3.
import { S3Client } from '@aws-sdk/client-s3';
import { createEvaluate } from './evaluate-handler.ts';
import { readEvaluateConfig } from './settings.ts';

export const handler = createEvaluate({
  config: readEvaluateConfig(process.env),
  s3: new S3Client({}),
});
