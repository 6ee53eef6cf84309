import { join } from 'node:path';
import { ATTEMPT_MARGIN_SECONDS, RUN_MARGIN_SECONDS } from '../../functions/prepare/lock-rules.ts';
import { MAX_ATTEMPTS } from '../../functions/shared/contracts.ts';
import { MAX_TIMEOUT_SECONDS } from '../../functions/shared/run-input.ts';
import {
  type CloudFormationTemplate,
  lambdaFunctions,
  packagedParams,
  packageService,
  REPO_ROOT,
  stateMachineDefinition,
  stateMachineResource,
} from '../support/packaged.ts';
import { DEV, LIVE, loadYaml, PACKAGE_TIMEOUT_MS } from './helpers.ts';

type State = Record<string, unknown> & { Parameters?: Record<string, unknown> };
interface Definition {
  StartAt: string;
  States: Record<string, State>;
  [key: string]: unknown;
}

describe.each([DEV, LIVE])('the $stage state machine', (options) => {
  let template: CloudFormationTemplate;
  let definition: Definition;
  let source: Definition;
  let params: Record<string, unknown>;

  beforeAll(async () => {
    template = await packageService(options);
    definition = stateMachineDefinition(template) as Definition;
    source = (await loadYaml(join(REPO_ROOT, 'state-machines', 'dbt-run.asl.yml'))) as Definition;
    params = await packagedParams(options);
  }, PACKAGE_TIMEOUT_MS);

  it('is a Standard state machine named after the service and stage', () => {
    const { resource } = stateMachineResource(template);
    expect(resource.Properties).toMatchObject({
      StateMachineType: 'STANDARD',
      StateMachineName: `serverless-dbt-${options.stage}-dbt-run`,
    });
  });

  it("calls the stack's own functions", () => {
    const arns = Object.fromEntries(lambdaFunctions(template).map((fn) => [fn.name, fn.fakeArn]));
    expect(definition.States.Prepare?.Resource).toBe(arns.prepare);
    expect(definition.States.Evaluate?.Resource).toBe(arns.evaluate);
    expect(definition.States.AnnounceStart?.Resource).toBe(arns.notify);
    expect(definition.States.Notify?.Resource).toBe(arns.notify);
  });

  it("runs the task definition on the stack's cluster, in the stage's network", () => {
    const parameters = definition.States.RunDbt?.Parameters ?? {};
    expect(parameters.Cluster).toBe(
      `arn:aws:ecs:eu-west-1:123456789012:cluster/serverless-dbt-${options.stage}`,
    );
    expect(parameters.TaskDefinition).toBe(
      `arn:aws:ecs:eu-west-1:123456789012:task-definition/serverless-dbt-${options.stage}-dbt:1`,
    );
    expect(parameters.NetworkConfiguration).toEqual({
      AwsvpcConfiguration: {
        Subnets: params.subnets,
        SecurityGroups: params.securityGroups,
        AssignPublicIp: params.assignPublicIp,
      },
    });
    expect(['ENABLED', 'DISABLED']).toContain(params.assignPublicIp);
  });

  it("gives the dbt container its run spec, run id, attempt and the time RunDbt's timer started", () => {
    // The container's own deadline counts from RUN_ATTEMPT_STARTED_AT (docs/container.md).
    expect(definition.States.RunDbt?.Parameters?.Overrides).toEqual({
      ContainerOverrides: [
        {
          Name: 'dbt',
          Environment: [
            { Name: 'RUN_SPEC', 'Value.$': '$.run.runSpec' },
            { Name: 'RUN_ID', 'Value.$': '$.run.runId' },
            { Name: 'RUN_ATTEMPT', 'Value.$': "States.Format('{}', $.attempt)" },
            { Name: 'RUN_ATTEMPT_STARTED_AT', 'Value.$': '$$.State.EnteredTime' },
          ],
        },
      ],
    });
  });

  it('deploys the definition exactly as written, but for the resolved references', () => {
    const { RunDbt: deployedRun, ...deployedOthers } = definition.States;
    const { RunDbt: sourceRun, ...sourceOthers } = source.States;
    const resolvedIn = (state: State | undefined): Record<string, unknown> => {
      const { Prepare, Evaluate, AnnounceStart, Notify } = definition.States;
      const byName: Record<string, unknown> = {
        prepare: Prepare?.Resource,
        evaluate: Evaluate?.Resource,
        notify: (AnnounceStart ?? Notify)?.Resource,
      };
      if (state === undefined) return {};
      const resource = state.Resource as { 'Fn::GetAtt'?: [string, string] } | string;
      if (typeof resource === 'object' && resource['Fn::GetAtt']) {
        return { ...state, Resource: byName[resource['Fn::GetAtt'][0]] };
      }
      return state;
    };
    expect(Object.keys(definition.States)).toEqual(Object.keys(source.States));
    for (const [name, state] of Object.entries(sourceOthers)) {
      expect([name, deployedOthers[name]]).toEqual([name, resolvedIn(state)]);
    }
    const { Parameters: deployedParameters, ...deployedRest } = deployedRun ?? {};
    const { Parameters: sourceParameters, ...sourceRest } = sourceRun ?? {};
    expect(deployedRest).toEqual(sourceRest);
    const strip = (parameters: Record<string, unknown> | undefined) => {
      // The container's name in Overrides is resolved too: the test above checks it.
      const { Cluster, TaskDefinition, NetworkConfiguration, Overrides, ...rest } =
        parameters ?? {};
      return rest;
    };
    expect(strip(deployedParameters)).toEqual(strip(sourceParameters));
    const { States: _deployed, ...deployedTop } = definition;
    const { States: _source, ...sourceTop } = source;
    expect(deployedTop).toEqual(sourceTop);
  });

  it('outlasts every attempt of the longest run, as the overlap lock counts them', () => {
    // Two attempts at the run input's longest limit, each with the lock's margin, fit: the
    // execution never ends before Evaluate, ReleaseLock and Notify have run.
    expect(definition.TimeoutSeconds).toBe(
      MAX_ATTEMPTS * (MAX_TIMEOUT_SECONDS + ATTEMPT_MARGIN_SECONDS) + RUN_MARGIN_SECONDS,
    );
    expect(definition.TimeoutSeconds).toBeLessThanOrEqual(31_536_000); // Standard's limit: a year
  });

  it("retries Lambda's own service errors in every Lambda state, so a blip loses no alert", () => {
    const lambdaErrors = [
      'Lambda.ServiceException',
      'Lambda.AWSLambdaException',
      'Lambda.SdkClientException',
      'Lambda.TooManyRequestsException',
    ];
    const lambdaStates = Object.entries(definition.States).filter(([, state]) =>
      /:function:/.test(String(state.Resource)),
    );
    expect(lambdaStates.map(([name]) => name).sort()).toEqual(
      ['AnnounceStart', 'Evaluate', 'Notify', 'Prepare'].sort(),
    );
    for (const [name, state] of lambdaStates) {
      const retried = ((state.Retry ?? []) as Array<{ ErrorEquals: string[] }>).flatMap(
        (retry) => retry.ErrorEquals,
      );
      expect({ name, retried }).toEqual({ name, retried: expect.arrayContaining(lambdaErrors) });
    }
  });

  it('passes Prepare and Evaluate names, never the input, which may be 256 KiB itself', () => {
    const paths = (state: string) =>
      Object.values(definition.States[state]?.Parameters ?? {}).filter(
        (value) => typeof value === 'string',
      );
    for (const state of ['Prepare', 'Evaluate']) {
      expect(paths(state)).not.toContain('$$.Execution.Input');
      expect(definition.States[state]?.Parameters?.['executionArn.$']).toBe('$$.Execution.Id');
    }
    expect(Object.keys(definition.States.Prepare?.Parameters ?? {}).sort()).toEqual(
      ['executionArn.$', 'executionName.$', 'startedAt.$'].sort(),
    );
  });

  it("retries RunTask's Failures (AmazonECS.Unknown) with the ECS API's errors, within the lock's margin", () => {
    const retriers = (definition.States.RunDbt?.Retry ?? []) as Array<{
      ErrorEquals: string[];
      IntervalSeconds: number;
      MaxAttempts: number;
      BackoffRate: number;
      MaxDelaySeconds?: number;
      JitterStrategy?: string;
    }>;
    const capacity = retriers.find((retrier) => retrier.ErrorEquals.includes('AmazonECS.Unknown'));
    expect(capacity?.ErrorEquals).toEqual(
      expect.arrayContaining(['ECS.AmazonECSException', 'AmazonECS.Unknown']),
    );
    expect(capacity?.JitterStrategy).toBe('FULL');
    // The waits of every ECS retrier together, at their longest, fit in the margin the lock
    // gives each attempt (lock-rules.ts), with room for the rest it counts there.
    const longest = retriers
      .filter((retrier) => retrier.ErrorEquals.some((name) => /ECS/.test(name)))
      .map((retrier) => {
        let total = 0;
        for (let retry = 0; retry < retrier.MaxAttempts; retry += 1) {
          const wait = retrier.IntervalSeconds * retrier.BackoffRate ** retry;
          total += Math.min(wait, retrier.MaxDelaySeconds ?? wait);
        }
        return total;
      })
      .reduce((sum, each) => sum + each, 0);
    expect(longest).toBeLessThanOrEqual(ATTEMPT_MARGIN_SECONDS / 2);
  });
});
