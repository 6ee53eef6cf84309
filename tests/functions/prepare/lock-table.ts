// The lock table as serverless.yml should declare it: key `lockId` (a string), on demand,
// with `expiresAt` as its TTL attribute.
import {
  CreateTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { LOCK_KEY_ATTRIBUTE } from '../../../functions/prepare/lock-rules.ts';

export async function createLockTable(client: DynamoDBClient, table: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [{ AttributeName: LOCK_KEY_ATTRIBUTE, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: LOCK_KEY_ATTRIBUTE, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: table,
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    }),
  );
}

/** The raw item, as an operator would see it in the console. */
export async function lockItem(client: DynamoDBClient, table: string, key: string) {
  const { Item } = await client.send(
    new GetItemCommand({
      TableName: table,
      Key: { [LOCK_KEY_ATTRIBUTE]: { S: key } },
      ConsistentRead: true,
    }),
  );
  return Item;
}

/** A lock left behind by an execution that never released it (aborted, crashed). */
export async function leaveLock(
  client: DynamoDBClient,
  table: string,
  key: string,
  owner: string,
  expiresAt: number,
): Promise<void> {
  await client.send(
    new PutItemCommand({
      TableName: table,
      Item: {
        [LOCK_KEY_ATTRIBUTE]: { S: key },
        owner: { S: owner },
        job: { S: 'nightly' },
        acquiredAt: { S: new Date((expiresAt - 8100) * 1000).toISOString() },
        expiresAt: { N: String(expiresAt) },
      },
    }),
  );
}
