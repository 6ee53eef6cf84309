// One structured logger for every Lambda, with the execution's name on every line so that a
// run's lines can be found across Prepare, Evaluate and Notify.
import { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';

export const logger = new Logger({ serviceName: 'serverless-dbt' });

/** The execution's name from what the state machine passes: a name, or an ARN ending in it. */
export function executionNameOf(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const fields = event as Record<string, unknown>;
  if (typeof fields.executionName === 'string') return fields.executionName;
  if (typeof fields.executionArn === 'string') return fields.executionArn.split(':').pop();
  return undefined;
}

/** middy middleware: puts `executionName` on every log line of the invocation. */
export function logExecutionName(): MiddlewareObj {
  return {
    before: (request) => {
      logger.resetKeys();
      const executionName = executionNameOf(request.event);
      if (executionName) logger.appendKeys({ executionName });
    },
  };
}
