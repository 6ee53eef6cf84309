// Prepare's events as the state machine sends them (Parameters of the Prepare state), and the
// settings of a dev stage.
import type { PrepareEvent, PrepareSettings } from '../../../functions/prepare/prepare.ts';
import type { PreparedState } from '../../../functions/shared/contracts.ts';
import { jsonBytes, MAX_INPUT_BYTES, MAX_VARS_BYTES } from '../../../functions/shared/run-input.ts';

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
  artifactsUri: 's3://serverless-dbt-dev-artifacts/dbt',
  notifyOnStart: false,
  lock: { table: 'serverless-dbt-dev-locks', stateMachine: STATE_MACHINE, groups: {} },
};

/** The lock a run of `job` takes on the dev stage when no lock group lists it. */
export const jobLock = (job: string) => `${STATE_MACHINE}#job#${job}`;

/** The spec as the container reads it from RUN_SPEC. */
export const runSpecOf = (state: PreparedState) => state.run.runSpec;

/** Job, vars and exclude at their limits, select padded: exactly MAX_INPUT_BYTES, raw. */
export function inputOfExactlyTheLimit(): Record<string, unknown> {
  const vars = { pad: '' };
  vars.pad = 'v'.repeat(MAX_VARS_BYTES - jsonBytes(vars));
  const input = { job: 'j'.repeat(64), vars, select: 'a', exclude: 'b'.repeat(1000) };
  input.select = 'a'.repeat(1 + MAX_INPUT_BYTES - jsonBytes(input));
  return input;
}
