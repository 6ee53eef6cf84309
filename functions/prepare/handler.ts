// Prepare in Lambda (prepare-handler.ts): its settings, read once per container so that a bad
// one fails the first invocation, named; the overlap lock in DynamoDB; the execution's input
// from Step Functions.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { describedExecutionInput } from '../shared/execution-input.ts';
import { dynamoDbLocks } from './lock.ts';
import { createPrepare } from './prepare-handler.ts';
import { readPrepareConfig } from './settings.ts';

export const handler = createPrepare({
  config: readPrepareConfig(process.env),
  lockStore: dynamoDbLocks(new DynamoDBClient({})),
  executionInput: describedExecutionInput(new SFNClient({})),
});
