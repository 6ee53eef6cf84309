// Prepare's events as the state machine sends them (Parameters of the Prepare state), and the
// settings of a dev stage.
import type { PrepareEvent, PrepareSettings } from '../../../functions/prepare/prepare.ts';

export const STATE_MACHINE = 'serverless-dbt-dev-dbt-run';
export const ACCOUNT = '123456789012';

export function executionArnOf(executionName: string, stateMachine = STATE_MACHINE): string {
  return `arn:aws:states:eu-west-1:${ACCOUNT}:execution:${stateMachine}:${executionName}`;
}

/** A name such as the console, a schedule or EventBridge gets from Step Functions. */
export const GENERATED_NAME = '0b5f4d0e-7c1a-4f39-9a52-8e6f3c2d1b70';

export function prepareEvent(input: unknown, executionName = GENERATED_NAME): PrepareEvent {
  return {
    input,
    executionName,
    executionArn: executionArnOf(executionName),
    startedAt: '2026-03-02T05:00:00.123Z',
  };
}

export const DEV_SETTINGS: PrepareSettings = {
  stage: 'dev',
  defaultTimeoutSeconds: 3600,
  fargateSpot: false,
  containerName: 'dbt',
  artifactsUri: 's3://serverless-dbt-dev-artifacts/dbt',
  notifyOnStart: false,
  lock: { table: 'serverless-dbt-dev-locks', key: STATE_MACHINE },
};
