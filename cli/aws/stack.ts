// The deployed stage, as its CloudFormation stack's Outputs describe it.
import { type CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CliError } from '../errors.ts';
import { stackNameOf } from './names.ts';

/** The Outputs of `serverless-dbt-<stage>` (serverless.yml, resources.Outputs). */
export const STACK_OUTPUTS = [
  'StateMachineArn',
  'ArtifactsBucketName',
  'TaskLogGroupName',
  'RepositoryUri',
  'AlarmTopicArn',
] as const;
export type StackOutput = (typeof STACK_OUTPUTS)[number];

export interface Stack {
  stage: string;
  name: string;
  region: string;
  outputs: Partial<Record<StackOutput, string>>;
  /**
   * One output's value.
   * @throws CliError when the stack lacks it (deployed from an older version).
   */
  output: (name: StackOutput) => string;
}

/**
 * The stage's stack.
 * @throws CliError when the stack does not exist in the region.
 */
export async function findStack(
  cloudFormation: CloudFormationClient,
  stage: string,
  region: string,
): Promise<Stack> {
  const name = stackNameOf(stage);
  let stack: {
    Outputs?: Array<{ OutputKey?: string; OutputValue?: string }>;
    StackStatus?: string;
  };
  try {
    const response = await cloudFormation.send(new DescribeStacksCommand({ StackName: name }));
    stack = response.Stacks?.[0] ?? {};
  } catch (error) {
    // CloudFormation answers a missing stack with a ValidationError "Stack with id … does not exist".
    if (
      error instanceof Error &&
      error.name === 'ValidationError' &&
      /does not exist/.test(error.message)
    ) {
      throw new CliError(
        `no stack ${name} in ${region}: deploy it first (npx serverless deploy --stage ${stage})`,
      );
    }
    throw error;
  }
  const outputs: Partial<Record<StackOutput, string>> = {};
  for (const { OutputKey, OutputValue } of stack.Outputs ?? []) {
    if (OutputValue && (STACK_OUTPUTS as readonly (string | undefined)[]).includes(OutputKey)) {
      outputs[OutputKey as StackOutput] = OutputValue;
    }
  }
  return {
    stage,
    name,
    region,
    outputs,
    output: (key) => {
      const value = outputs[key];
      if (value === undefined) {
        const status = stack.StackStatus ? ` (status ${stack.StackStatus})` : '';
        throw new CliError(
          `stack ${name} in ${region} has no output ${key}${status}: deploy the current version (npx serverless deploy --stage ${stage})`,
        );
      }
      return value;
    },
  };
}
