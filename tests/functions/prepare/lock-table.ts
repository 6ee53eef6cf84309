// The lock table as infra/resources.yml declares it: key `lockId` (a string), on demand,
// with `expiresAt` as its TTL attribute and an index on `owner` (keys only).
import {
  CreateTableCommand,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { LOCK_KEY_ATTRIBUTE, LOCK_OWNER_INDEX } from '../../../functions/prepare/lock-rules.ts';

export async function createLockTable(client: DynamoDBClient, table: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [
        { AttributeName: LOCK_KEY_ATTRIBUTE, AttributeType: 'S' },
        { AttributeName: 'owner', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: LOCK_KEY_ATTRIBUTE, KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: LOCK_OWNER_INDEX,
          KeySchema: [{ AttributeName: 'owner', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
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

/** Every lock item of the table, by key: what an operator would find in it. */
export async function lockItems(client: DynamoDBClient, table: string) {
  const { Items = [] } = await client.send(
    new ScanCommand({ TableName: table, ConsistentRead: true }),
  );
  return Object.fromEntries(Items.map((item) => [item[LOCK_KEY_ATTRIBUTE]?.S ?? '', item]));
}

/** Empties the table, as if every run had released its lock. */
export async function clearLocks(client: DynamoDBClient, table: string): Promise<void> {
  for (const key of Object.keys(await lockItems(client, table))) {
    await client.send(
      new DeleteItemCommand({ TableName: table, Key: { [LOCK_KEY_ATTRIBUTE]: { S: key } } }),
    );
  }
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
