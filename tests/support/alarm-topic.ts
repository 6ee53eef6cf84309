// The stack's alarm topic in a moto server, with an SQS queue subscribed to it, so that a test
// reads what was published as a subscriber receives it. The project has no SQS client
// dependency: the queue is driven with SQS's JSON protocol over fetch (moto does not check
// signatures, only reads the region from the credential scope).
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import type { Moto } from './moto.ts';

/** A message as the SQS subscriber gets it: SNS's envelope. */
export interface TopicMessage {
  Subject?: string;
  Message: string;
  TopicArn: string;
}

export interface AlarmTopic {
  arn: string;
  /** The messages published since the last call (each is read once). */
  received: () => Promise<TopicMessage[]>;
}

async function sqs(moto: Moto, action: string, body: Record<string, unknown>) {
  const { region, credentials } = moto.clientConfig;
  const response = await fetch(moto.endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': `AmazonSQS.${action}`,
      Authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/20260101/${region}/sqs/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify(body),
  });
  if (!response.ok)
    throw new Error(`SQS ${action}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

/** Creates the topic `name` and subscribes a new queue to it. */
export async function startAlarmTopic(moto: Moto, name: string): Promise<AlarmTopic> {
  const sns = new SNSClient(moto.clientConfig);
  try {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name }));
    if (TopicArn === undefined) throw new Error('moto returned no topic ARN');
    const queueName = `${name}-subscriber`;
    const { QueueUrl } = (await sqs(moto, 'CreateQueue', { QueueName: queueName })) as {
      QueueUrl: string;
    };
    const queueArn = TopicArn.replace(':sns:', ':sqs:').replace(/[^:]+$/, queueName);
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: queueArn }));
    return {
      arn: TopicArn,
      received: async () => {
        const messages: TopicMessage[] = [];
        for (;;) {
          const { Messages = [] } = (await sqs(moto, 'ReceiveMessage', {
            QueueUrl,
            MaxNumberOfMessages: 10,
          })) as { Messages?: Array<{ Body: string; ReceiptHandle: string }> };
          if (Messages.length === 0) return messages;
          for (const message of Messages) {
            messages.push(JSON.parse(message.Body) as TopicMessage);
            await sqs(moto, 'DeleteMessage', { QueueUrl, ReceiptHandle: message.ReceiptHandle });
          }
        }
      },
    };
  } finally {
    sns.destroy();
  }
}
