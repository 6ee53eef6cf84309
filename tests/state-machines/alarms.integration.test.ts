// What the alarms watch, from the state machine as deployed: the packaged definition run by
// aws-local-stepfunctions with the real handlers configured by the template's environment
// (tests/support/service.ts), DynamoDB, S3, Secrets Manager and the alarm topic (SNS, read by
// a subscribed SQS queue) in moto, Slack as a real HTTP server. ECS's control plane is the one
// thing mocked (tests/support/fake-ecs.ts). The metrics are read as CloudWatch reads them: the
// embedded-metric-format lines the functions write to their log.
import { jest } from '@jest/globals';
import { REASONS, stoppedTask } from '../functions/evaluate/tasks.ts';
import { fakeEcs, type TaskOutcome } from '../support/fake-ecs.ts';
import { type LocalService, startService } from '../support/service.ts';
import { SLACK } from '../support/slack-server.ts';

jest.setTimeout(120_000);

let service: LocalService;
let stateMachine: string;

beforeAll(async () => {
  service = await startService({ environment: { NOTIFY_ON: 'success,failure' } });
  stateMachine = service.stateMachineArn.split(':').pop() ?? '';
}, 180_000);

afterAll(async () => {
  await service?.stop();
});

beforeEach(async () => {
  service.slack.reset();
  await service.alarmTopic.received();
});

interface EmfLine {
  _aws: {
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string }>;
    }>;
  };
  [field: string]: unknown;
}

/** The metrics the functions wrote while `run` ran: each as namespace, name and dimensions. */
async function metricsOf<Result>(run: () => Promise<Result>) {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    chunks.push(String(chunk));
    return true;
  });
  let result: Result;
  try {
    result = await run();
  } finally {
    spy.mockRestore();
  }
  const lines = chunks
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{"_aws"'))
    .map((line) => JSON.parse(line) as EmfLine);
  const metrics = lines.flatMap((line) =>
    line._aws.CloudWatchMetrics.flatMap(({ Namespace, Dimensions, Metrics }) =>
      Metrics.map(({ Name }) => ({
        namespace: Namespace,
        name: Name,
        dimensions: Object.fromEntries(
          (Dimensions[0] ?? []).map((dimension) => [dimension, line[dimension]]),
        ),
        value: line[Name],
      })),
    ),
  );
  return { result, metrics };
}

const COUNTS = { success: 12, pass: 30, error: 0, fail: 0, warn: 0, skipped: 0 };

/** The container's run: it writes summary.json, then the task stops with its exit code. */
function dbtExits(exitCode: number, delayMs = 0): TaskOutcome {
  return {
    stopped: stoppedTask({ exitCode }),
    beforeStop: async (request) => {
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      await service.putSummary(request, {
        runId: 'set-by-the-test',
        exitCode,
        command: 'build',
        dbtVersion: '1.11.16',
        startedAt: '2026-11-24T05:00:13.000Z',
        finishedAt: '2026-11-24T05:09:40.000Z',
        steps: [{ name: 'build', status: exitCode === 0 ? 'success' : 'failed', seconds: 5 }],
        counts: exitCode === 0 ? COUNTS : { ...COUNTS, error: 1 },
        nodes: [],
        freshness: { status: 'pass', sources: [] },
      });
    },
  };
}

describe('the metrics a run counts', () => {
  test('a DBT_FAILED run counts one AlarmingRuns under the state machine, and no success', async () => {
    const { result: execution, metrics } = await metricsOf(() =>
      service.execute({ job: 'nightly' }, fakeEcs(dbtExits(1))),
    );

    expect(execution.error).toBe('DBT_FAILED');
    expect(metrics).toEqual([
      {
        namespace: 'serverless-dbt',
        name: 'AlarmingRuns',
        dimensions: { StateMachine: stateMachine },
        value: 1,
      },
    ]);
  });

  test('a SUCCEEDED run counts SucceededRuns under its job, and pages for nothing', async () => {
    const { result: execution, metrics } = await metricsOf(() =>
      service.execute({ job: 'weekly-full-refresh' }, fakeEcs(dbtExits(0))),
    );

    expect(execution.status).toBe('SUCCEEDED');
    expect(metrics).toEqual([
      {
        namespace: 'serverless-dbt',
        name: 'SucceededRuns',
        dimensions: { StateMachine: stateMachine, Job: 'weekly-full-refresh' },
        value: 1,
      },
    ]);
  });

  test('a SKIPPED_OVERLAP run counts no AlarmingRuns: a notice, not a page', async () => {
    const ecs = fakeEcs(dbtExits(0, 500), dbtExits(0, 500));
    const { result: executions, metrics } = await metricsOf(() =>
      Promise.all([
        service.execute({ job: 'nightly' }, ecs, 'overlap-a'),
        service.execute({ job: 'nightly' }, ecs, 'overlap-b'),
      ]),
    );

    expect(executions.map((execution) => execution.error ?? execution.status).sort()).toEqual([
      'SKIPPED_OVERLAP',
      'SUCCEEDED',
    ]);
    expect(metrics.map((metric) => metric.name)).toEqual(['SucceededRuns']);
  });

  test('a retried run counts once, by how it ended: not for the Spot interruption it got over', async () => {
    const spotInterruption: TaskOutcome = {
      stopped: stoppedTask({
        exitCode: 143,
        stopCode: 'SpotInterruption',
        stoppedReason: REASONS.spot,
      }),
    };
    const { result: execution, metrics } = await metricsOf(() =>
      service.execute({ job: 'nightly' }, fakeEcs(spotInterruption, dbtExits(0))),
    );

    expect(execution.status).toBe('SUCCEEDED');
    expect(metrics.map((metric) => metric.name)).toEqual(['SucceededRuns']);
  });
});

describe('an alert Slack refuses', () => {
  test.each([
    ['403 invalid_token', SLACK.invalidToken],
    ['410 channel_is_archived', SLACK.channelIsArchived],
  ])(
    'on %s: the run ends as it would, UndeliveredAlerts is counted and the alert goes to the alarm topic',
    async (_label, reply) => {
      service.slack.setFallback(reply);
      const { result: execution, metrics } = await metricsOf(() =>
        service.execute({ job: 'nightly' }, fakeEcs(dbtExits(1))),
      );

      expect(execution.error).toBe('DBT_FAILED');
      expect(metrics.map((metric) => [metric.name, metric.dimensions])).toEqual([
        ['AlarmingRuns', { StateMachine: stateMachine }],
        ['UndeliveredAlerts', { StateMachine: stateMachine }],
      ]);
      const messages = await service.alarmTopic.received();
      expect(messages).toHaveLength(1);
      expect(messages[0]?.Subject).toBe('serverless-dbt dev: dbt job nightly ended DBT_FAILED');
      expect(messages[0]?.Message).toContain(`HTTP ${reply.status} ${reply.body}`);
      expect(messages[0]?.Message).not.toContain(service.slack.token);
      // Told through the topic and the metric: Notify does not fail, so its Errors alarm stays
      // for what nothing else tells.
      const notifyFailures = execution.events.filter(
        (event) => event.type === 'StateFailed' && event.state.name === 'Notify',
      );
      expect(notifyFailures).toEqual([]);
    },
  );

  test('a refused success notice is counted but not sent to the alarm topic', async () => {
    service.slack.setFallback(SLACK.noService);
    const { result: execution, metrics } = await metricsOf(() =>
      service.execute({ job: 'nightly' }, fakeEcs(dbtExits(0))),
    );

    expect(execution.status).toBe('SUCCEEDED');
    expect(metrics.map((metric) => metric.name)).toEqual(['SucceededRuns', 'UndeliveredAlerts']);
    expect(await service.alarmTopic.received()).toEqual([]);
  });
});
