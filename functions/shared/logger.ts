// One structured logger for every Lambda. Every line of an invocation carries the Lambda
// context (request id, cold start) and the execution's name, so that a run's lines can be
// found across Prepare, Evaluate and Notify.
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import type { MiddlewareObj } from '@middy/core';

const newLogger = (logLevel?: LogLevel) =>
  new Logger({ serviceName: 'serverless-dbt', ...(logLevel === undefined ? {} : { logLevel }) });

/** Powertools reads its own settings (POWERTOOLS_LOG_LEVEL...) when a logger is created. */
export let logger = newLogger();

/**
 * The Lambdas' lines at this level from now on (`SILENT`: none): local runs. It replaces the
 * logger, because Powertools restores a logger's first level before every invocation (after
 * a sampled DEBUG) and so undoes setLogLevel(). Call it before building the handlers: each
 * keeps the logger it was built with for the request id.
 */
export function useLogLevel(logLevel: LogLevel): void {
  logger = newLogger(logLevel);
}

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
      // Also here, not only after the invocation: a middleware that answers early (Notify's
      // NOTIFY_ON) skips every `after`, and the last execution's name must not carry over.
      logger.resetKeys();
      const executionName = executionNameOf(request.event);
      if (executionName) logger.appendKeys({ executionName });
    },
  };
}

/**
 * The logging middlewares of every handler; `.use()` them first. Powertools' middleware
 * resets the keys in its `after` and `onError`, and middy runs those in the reverse order of
 * `.use()`: used first, its reset comes last, once every other middleware has logged with
 * the execution's name.
 */
export function invocationLogging(): MiddlewareObj[] {
  return [injectLambdaContext(logger, { resetKeys: true }) as MiddlewareObj, logExecutionName()];
}
