// The release-lock function in Lambda (release-lock-handler.ts): its settings, read once per
// container so that a bad one fails the first invocation, named; the lock table's client.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createReleaseLock } from './release-lock-handler.ts';
import { readReleaseLockConfig } from './settings.ts';

export const handler = createReleaseLock({
  config: readReleaseLockConfig(process.env),
  dynamodb: new DynamoDBClient({}),
});
