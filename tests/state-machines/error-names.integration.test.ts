// Every error name the deployed definition matches (Retry and Catch `ErrorEquals`) and every
// verdict it branches on must be one that something really produces: a Retry on a name nobody
// throws never fires, and a typo there fails silently in production.
import * as dynamodb from '@aws-sdk/client-dynamodb';
import { RunAlreadyInProgress } from '../../functions/prepare/lock-rules.ts';
import { ConfigurationError } from '../../functions/shared/config.ts';
import { VERDICTS } from '../../functions/shared/contracts.ts';
import { InvalidRunInput } from '../../functions/shared/run-input.ts';
import { packageService, stateMachineDefinition } from '../support/packaged.ts';

/** The Amazon States Language's predefined error names (states-language.net, "Errors"). */
const STATES_ERRORS = new Set([
  'States.ALL',
  'States.DataLimitExceeded',
  'States.ExceedToleratedFailureThreshold',
  'States.HeartbeatTimeout',
  'States.Http.Socket',
  'States.IntrinsicFailure',
  'States.ItemReaderFailed',
  'States.NoChoiceMatched',
  'States.ParameterPathFailure',
  'States.Permissions',
  'States.QueryEvaluationError',
  'States.ResultPathMatchFailure',
  'States.ResultWriterFailed',
  'States.Runtime',
  'States.TaskFailed',
  'States.Timeout',
]);

/** What Step Functions reports when invoking a Lambda fails (AWS docs, "Handling errors"). */
const LAMBDA_INVOKE_ERRORS = new Set([
  'Lambda.AWSLambdaException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.SdkClientException',
  'Lambda.ServiceException',
  'Lambda.TooManyRequestsException',
  'Lambda.Unknown',
]);

/**
 * The errors of ECS's RunTask as Step Functions names them: `ECS.AmazonECSException` for
 * throttling and capacity (AWS re:Post, "ecs-fargate-runtask-capacity"), and the exceptions
 * of the ECS API reference for RunTask. The ECS SDK is not a dependency, hence a list.
 */
const ECS_RUN_TASK_ERRORS = new Set([
  'ECS.AmazonECSException',
  'ECS.AccessDeniedException',
  'ECS.BlockedException',
  'ECS.ClientException',
  'ECS.ClusterNotFoundException',
  'ECS.ConflictException',
  'ECS.InvalidParameterException',
  'ECS.PlatformTaskDefinitionIncompatibilityException',
  'ECS.PlatformUnknownException',
  'ECS.ServerException',
  'ECS.UnsupportedFeatureException',
]);

/**
 * The error the optimised ECS integration fails `ecs:runTask.sync` with when RunTask answers
 * HTTP 200 with a non-empty `Failures` (AWS Step Functions Developer Guide, "Amazon
 * ECS/Fargate": "the task is failed with an AmazonECS.Unknown error").
 */
const ECS_INTEGRATION_ERRORS = new Set(['AmazonECS.Unknown']);

/** Our own errors, by the name the Lambdas throw them with. */
const OWN_ERRORS = new Set<string>(
  [
    new InvalidRunInput('job', 'x'),
    new RunAlreadyInProgress('lock', { owner: 'x' } as never),
    new ConfigurationError('x'),
  ].map((error) => error.name),
);

/** A DynamoDB integration error is `DynamoDB.<the SDK's exception class name>`. */
function isDynamoDbError(name: string): boolean {
  const className = name.slice('DynamoDB.'.length);
  const exported = (dynamodb as Record<string, unknown>)[className];
  return (
    typeof exported === 'function' &&
    exported.prototype instanceof dynamodb.DynamoDBServiceException
  );
}

function producedBySomething(name: string): boolean {
  if (name.startsWith('States.')) return STATES_ERRORS.has(name);
  if (name.startsWith('Lambda.')) return LAMBDA_INVOKE_ERRORS.has(name);
  if (name.startsWith('ECS.')) return ECS_RUN_TASK_ERRORS.has(name);
  if (name.startsWith('AmazonECS.')) return ECS_INTEGRATION_ERRORS.has(name);
  if (name.startsWith('DynamoDB.')) return isDynamoDbError(name);
  return OWN_ERRORS.has(name);
}

type State = Record<string, unknown>;

let states: Record<string, State>;

beforeAll(async () => {
  const definition = stateMachineDefinition(await packageService({ stage: 'dev' }));
  states = definition.States as Record<string, State>;
}, 180_000);

function matchedErrors(): Array<[string, string]> {
  const names: Array<[string, string]> = [];
  for (const [stateName, state] of Object.entries(states)) {
    for (const field of ['Retry', 'Catch'] as const) {
      for (const rule of (state[field] as Array<{ ErrorEquals: string[] }> | undefined) ?? []) {
        for (const name of rule.ErrorEquals) names.push([`${stateName}.${field}`, name]);
      }
    }
  }
  return names;
}

test('the definition matches errors in Retry and Catch (the check below has something to check)', () => {
  expect(matchedErrors().length).toBeGreaterThan(10);
});

test('every error name in a Retry or Catch is produced by AWS or by our Lambdas', () => {
  const unknown = matchedErrors().filter(([, name]) => !producedBySomething(name));
  expect(unknown).toEqual([]);
});

test('the check refuses names nobody produces', () => {
  for (const name of [
    'InvalidInput',
    'States.Timeout ',
    'Lambda.Timeout',
    'ECS.ThrottlingException',
    'DynamoDB.InternalServerErrorException',
  ]) {
    expect([name, producedBySomething(name)]).toEqual([name, false]);
  }
  expect(producedBySomething('DynamoDB.InternalServerError')).toBe(true);
  expect(producedBySomething('InvalidRunInput')).toBe(true);
});

test('every verdict a Choice branches on is one Evaluate can return', () => {
  const branched: string[] = [];
  for (const state of Object.values(states)) {
    if (state.Type !== 'Choice') continue;
    for (const choice of state.Choices as Array<Record<string, unknown>>) {
      if (choice.Variable === '$.evaluation.verdict') branched.push(String(choice.StringEquals));
    }
  }
  expect(branched.length).toBeGreaterThan(0);
  expect(branched.filter((verdict) => !(VERDICTS as readonly string[]).includes(verdict))).toEqual(
    [],
  );
});

test('the execution fails with the verdict as its error, and the static fallback verdict is a real one', () => {
  const failed = Object.values(states).filter((state) => state.Type === 'Fail');
  expect(failed.map((state) => state.ErrorPath)).toEqual(['$.evaluation.verdict']);
  const fallback = states.EvaluateFailed?.Parameters as Record<string, unknown> | undefined;
  expect(VERDICTS).toContain(fallback?.verdict);
});
