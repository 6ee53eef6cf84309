// Step Functions' execution status changes as EventBridge delivers them to the release-lock
// function. The shape is the one recorded in AWS's Step Functions Developer Guide ("Step
// Functions Execution Status Change" events, in "Automating Step Functions event delivery with
// EventBridge"): `detail` carries the execution's ARN, name, status, dates and its input
// (a JSON string) unless the input is too large, when `input` is null and
// `inputDetails.included` is false. Only the names and values differ.
import { ACCOUNT, executionArnOf, STATE_MACHINE } from '../prepare/events.ts';

export const STATE_MACHINE_ARN = `arn:aws:states:eu-west-1:${ACCOUNT}:stateMachine:${STATE_MACHINE}`;

export interface StatusChangeOptions {
  /** The execution's input as Step Functions stores it; `null` when left out for its size. */
  input?: string | null;
  error?: string | null;
  cause?: string | null;
}

export function statusChangeEvent(
  executionName: string,
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED',
  options: StatusChangeOptions = {},
) {
  const executionArn = executionArnOf(executionName);
  const input = options.input === undefined ? '{"job": "nightly-build"}' : options.input;
  return {
    version: '0',
    id: '315c1398-40ff-a850-213b-158f73e60175',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: ACCOUNT,
    time: '2026-03-02T05:42:21Z',
    region: 'eu-west-1',
    resources: [executionArn],
    detail: {
      executionArn,
      stateMachineArn: STATE_MACHINE_ARN,
      name: executionName,
      status,
      startDate: 1772427600123,
      stopDate: status === 'RUNNING' ? null : 1772430141881,
      input,
      output: null,
      inputDetails: { included: input !== null },
      outputDetails: null,
      error: options.error ?? null,
      cause: options.cause ?? null,
    },
  };
}
