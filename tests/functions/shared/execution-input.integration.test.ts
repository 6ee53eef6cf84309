// Reading a run's input from its execution, as Prepare and Evaluate do in Lambda: against Step
// Functions in a moto server (which records executions without running them). Nothing of AWS
// is mocked but its address.
import { SFNClient } from '@aws-sdk/client-sfn';
import {
  describedExecutionInput,
  ExecutionInputUnreadable,
  knownExecutionInput,
} from '../../../functions/shared/execution-input.ts';
import { type Moto, startMoto } from '../../support/moto.ts';
import { type MotoExecutions, motoExecutions } from '../../support/moto-executions.ts';

const STATE_MACHINE = 'serverless-dbt-dev-dbt-run';
let moto: Moto;
let sfn: SFNClient;
let executions: MotoExecutions;

beforeAll(async () => {
  moto = await startMoto();
  sfn = new SFNClient(moto.clientConfig);
  executions = await motoExecutions(moto, STATE_MACHINE);
}, 60_000);

afterAll(async () => {
  sfn?.destroy();
  executions?.destroy();
  await moto?.stop();
});

describe('describedExecutionInput', () => {
  it('returns the execution’s input as JSON, however large Step Functions let it be', async () => {
    const input = { job: 'nightly', vars: { pad: 'x'.repeat(250 * 1024) } };
    const arn = await executions.start(input, 'run-read-1');
    await expect(describedExecutionInput(sfn).read(arn)).resolves.toStrictEqual(input);
  });

  it('fails with ExecutionInputUnreadable naming the execution and the API’s error', async () => {
    const arn = `arn:aws:states:eu-west-1:123456789012:execution:${STATE_MACHINE}:never-started`;
    const reading = describedExecutionInput(sfn).read(arn);
    await expect(reading).rejects.toBeInstanceOf(ExecutionInputUnreadable);
    await expect(reading).rejects.toThrow(
      `could not read the input of ${arn} (states:DescribeExecution): ExecutionDoesNotExist`,
    );
  });
});

describe('knownExecutionInput', () => {
  it('returns the input a local run started with, whatever the ARN', async () => {
    const reader = knownExecutionInput({ job: 'local' });
    await expect(reader.read('arn:aws:states:::execution:local:x')).resolves.toStrictEqual({
      job: 'local',
    });
  });
});
