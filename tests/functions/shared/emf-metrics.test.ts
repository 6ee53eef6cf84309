// The Lambdas' metrics sink: Powertools Metrics writing CloudWatch's embedded metric format.
// An alarm matches a metric only by its namespace, name and whole set of dimensions, so the
// line must carry exactly those the alarms in infra/resources.yml name.
import { jest } from '@jest/globals';
import { emfMetrics } from '../../../functions/shared/emf-metrics.ts';

function written(run: () => void): Array<Record<string, unknown>> {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    run();
  } finally {
    spy.mockRestore();
  }
  return chunks
    .join('')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('emfMetrics', () => {
  const saved = process.env.POWERTOOLS_SERVICE_NAME;
  beforeAll(() => {
    // As in Lambda: serverless.yml sets it, and Powertools would make it a dimension.
    process.env.POWERTOOLS_SERVICE_NAME = 'serverless-dbt';
  });
  afterAll(() => {
    process.env.POWERTOOLS_SERVICE_NAME = saved;
  });

  it('writes one EMF line per metric with exactly the given dimensions, no `service`', () => {
    const metrics = emfMetrics();
    const lines = written(() => {
      metrics.count({ name: 'AlarmingRuns', dimensions: { StateMachine: 'sm' } });
      metrics.count({ name: 'SucceededRuns', dimensions: { StateMachine: 'sm', Job: 'nightly' } });
    });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toStrictEqual({
      _aws: {
        Timestamp: expect.any(Number),
        CloudWatchMetrics: [
          {
            Namespace: 'serverless-dbt',
            Dimensions: [['StateMachine']],
            Metrics: [{ Name: 'AlarmingRuns', Unit: 'Count' }],
          },
        ],
      },
      StateMachine: 'sm',
      AlarmingRuns: 1,
    });
    expect(lines[1]).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Dimensions: [['StateMachine', 'Job']] }] },
      StateMachine: 'sm',
      Job: 'nightly',
      SucceededRuns: 1,
    });
  });

  it('does not carry one metric’s dimensions over to the next', () => {
    const metrics = emfMetrics();
    const lines = written(() => {
      metrics.count({ name: 'SucceededRuns', dimensions: { StateMachine: 'sm', Job: 'a' } });
      metrics.count({ name: 'UndeliveredAlerts', dimensions: { StateMachine: 'sm' } });
    });
    expect(lines[1]).not.toHaveProperty('Job');
    expect(lines[1]).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Dimensions: [['StateMachine']] }] },
      UndeliveredAlerts: 1,
    });
  });
});
