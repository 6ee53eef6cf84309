// Executions in moto's Step Functions, which moto records but does not run (its
// execute_state_machine setting stays off): real execution ARNs whose input
// states:DescribeExecution returns, as Prepare and Evaluate read it in AWS.
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { Moto } from './moto.ts';

export interface MotoExecutions {
  /** The ARN of an execution of the machine holding `input` (JSON) under `executionName`. */
  start: (input: unknown, executionName: string) => Promise<string>;
  destroy: () => void;
}

/**
 * A state machine named `stateMachineName` in moto, to start executions of. The name is the
 * deployed machine's, so that what Prepare takes from an execution's ARN (the lock's key) and
 * the alerts' links read as in AWS.
 */
export async function motoExecutions(
  moto: Pick<Moto, 'clientConfig'>,
  stateMachineName: string,
): Promise<MotoExecutions> {
  const sfn = new SFNClient(moto.clientConfig);
  const { stateMachineArn } = await sfn.send(
    new CreateStateMachineCommand({
      name: stateMachineName,
      roleArn: 'arn:aws:iam::123456789012:role/serverless-dbt-test-states',
      definition: JSON.stringify({ StartAt: 'Run', States: { Run: { Type: 'Pass', End: true } } }),
    }),
  );
  if (stateMachineArn === undefined) throw new Error('moto created no state machine');
  return {
    start: async (input, executionName) => {
      const text = JSON.stringify(input);
      try {
        const started = await sfn.send(
          new StartExecutionCommand({ stateMachineArn, name: executionName, input: text }),
        );
        if (started.executionArn === undefined) throw new Error('moto started no execution');
        return started.executionArn;
      } catch (error) {
        if (!(error instanceof Error) || error.name !== 'ExecutionAlreadyExists') throw error;
        // A test that runs one name twice: as in AWS, only with the same input.
        const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
        const existing = await sfn.send(new DescribeExecutionCommand({ executionArn }));
        if (existing.input !== text) throw error;
        return executionArn;
      }
    },
    destroy: () => sfn.destroy(),
  };
}
