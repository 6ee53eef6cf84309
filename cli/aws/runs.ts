// A stage's runs: the executions of its state machine, found by run id (the execution name).
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { CliError } from '../errors.ts';
import { executionArnOf } from './names.ts';

/**
 * The run's execution.
 * @throws CliError when the stage's state machine has no execution of that name.
 */
export async function describeRun(
  sfn: SFNClient,
  stateMachineArn: string,
  runId: string,
  stage: string,
): Promise<DescribeExecutionCommandOutput> {
  try {
    return await sfn.send(
      new DescribeExecutionCommand({ executionArn: executionArnOf(stateMachineArn, runId) }),
    );
  } catch (error) {
    if (error instanceof Error && error.name === 'ExecutionDoesNotExist') {
      throw new CliError(
        `no run ${runId} in stage ${stage} (serverless-dbt history --stage ${stage} lists the recent ones)`,
      );
    }
    throw error;
  }
}

/** Every event of an execution's history, oldest first. */
export async function executionHistory(
  sfn: SFNClient,
  executionArn: string,
): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** Maps `items` through `work`, at most `limit` at a time, keeping their order. */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
