import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { logged } from '../../support/logged.ts';

// Imported once the environment is set as Lambda sets it: Powertools reports a cold start only
// when AWS_LAMBDA_INITIALIZATION_TYPE is on-demand, and reads it when the logger is created.
let logging: typeof import('../../../functions/shared/logger.ts');
const savedEnvironment = { ...process.env };

beforeAll(async () => {
  process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
  logging = await import('../../../functions/shared/logger.ts');
});

afterAll(() => {
  process.env = savedEnvironment;
});

describe('executionNameOf', () => {
  it('takes the execution name the state machine passes', () => {
    expect(logging.executionNameOf({ executionName: 'daily-2026-11-24' })).toBe('daily-2026-11-24');
  });

  it('takes the name from the end of an execution ARN', () => {
    const executionArn =
      'arn:aws:states:eu-west-1:123456789012:execution:serverless-dbt-dev:manual-42';

    expect(logging.executionNameOf({ executionArn })).toBe('manual-42');
  });

  it('has no name for events without one', () => {
    expect(logging.executionNameOf({})).toBeUndefined();
    expect(logging.executionNameOf(null)).toBeUndefined();
    expect(logging.executionNameOf('text')).toBeUndefined();
  });
});

const contextOf = (awsRequestId: string) =>
  ({ functionName: 'serverless-dbt-dev-prepare', awsRequestId }) as Context;

interface TestEvent {
  executionName?: string;
  /** Answered by a middleware before the handler, as Notify answers an unwanted event. */
  answerEarly?: boolean;
  fail?: boolean;
}

/** A handler as the Lambdas build theirs, with middlewares that log around it. */
const handlerOf = () =>
  middy<TestEvent, string>()
    .use(logging.invocationLogging())
    .use({
      before: (request) => (request.event.answerEarly ? 'answered early' : undefined),
      after: () => {
        logging.logger.info('after the handler');
      },
      onError: (request) => {
        logging.logger.error('on error');
        request.response = 'recovered';
      },
    })
    .handler(async (event) => {
      logging.logger.info('in the handler');
      if (event.fail) throw new Error('failed on purpose');
      return 'done';
    });

describe('invocationLogging', () => {
  let handler: ReturnType<typeof handlerOf>;
  beforeAll(() => {
    handler = handlerOf();
  });

  it('puts the execution name, the request id and the cold-start flag on every line, the after middleware’s too', async () => {
    const first = await logged(() => handler({ executionName: 'manual-1' }, contextOf('req-1')));
    const second = await logged(() => handler({ executionName: 'manual-2' }, contextOf('req-2')));

    expect(first.lines.map((line) => line.message)).toEqual([
      'in the handler',
      'after the handler',
    ]);
    for (const line of first.lines) {
      expect(line).toMatchObject({
        executionName: 'manual-1',
        function_request_id: 'req-1',
        function_name: 'serverless-dbt-dev-prepare',
        cold_start: true,
      });
    }
    for (const line of second.lines) {
      expect(line).toMatchObject({
        executionName: 'manual-2',
        function_request_id: 'req-2',
        cold_start: false,
      });
    }
  });

  it('keeps the execution name on a line an onError middleware logs', async () => {
    const { result, lines } = await logged(() =>
      handler({ executionName: 'manual-3', fail: true }, contextOf('req-3')),
    );

    expect(result).toBe('recovered');
    expect(
      lines.map((line) => [line.message, line.executionName, line.function_request_id]),
    ).toEqual([
      ['in the handler', 'manual-3', 'req-3'],
      ['on error', 'manual-3', 'req-3'],
    ]);
  });

  it('carries no execution name over to the next invocation, even after an early answer', async () => {
    const early = await logged(() =>
      handler({ executionName: 'manual-4', answerEarly: true }, contextOf('req-4')),
    );
    const { lines } = await logged(() => handler({}, contextOf('req-5')));

    expect(early.result).toBe('answered early');
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).not.toHaveProperty('executionName');
      expect(line.function_request_id).toBe('req-5');
    }
  });
});

describe('useLogLevel', () => {
  it('keeps the level for every invocation of a handler built afterwards, not only the first', async () => {
    logging.useLogLevel('SILENT');
    const handler = handlerOf();

    const first = await logged(() => handler({ executionName: 'quiet-1' }, contextOf('req-6')));
    const second = await logged(() => handler({ executionName: 'quiet-2' }, contextOf('req-7')));

    expect(first.result).toBe('done');
    expect(second.result).toBe('done');
    expect(`${first.output}${second.output}`).toBe('');
  });
});
