/**
 * Evaluate: judges how the run ended (the .sync task, the error RunDbt's Catch caught, or the
 * error Prepare failed with) into a verdict, reads the run's summary.json when the dbt
 * container ran to an exit, and tells the state machine whether to make another attempt.
 * The decisions are in classify.ts, summary.ts and evaluate.ts; this file does the I/O.
 *
 * It does not throw on what ECS or Step Functions send; if it throws anyway (a bug, a Lambda
 * crash), the state machine's EvaluateFailed state stands in with INFRA_FAILED (and the
 * function's Errors alarm pages, as no metric is counted then).
 *
 * The final evaluation of an execution counts the metrics the alarms watch (run-metrics.ts)
 * into `metrics`: EMF in Lambda, nothing in a local run.
 *
 * handler.ts builds it for Lambda from the environment; `serverless-dbt local` builds it with
 * a local stage's settings.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import type { EvaluateEvent, Evaluation } from '../shared/contracts.ts';
import type { ExecutionInputReader } from '../shared/execution-input.ts';
import { invocationLogging, logger } from '../shared/logger.ts';
import type { MetricSink } from '../shared/metrics.ts';
import { judge } from './classify.ts';
import { attemptArtifactsUriOf, attemptOf, buildEvaluation, runOf } from './evaluate.ts';
import { artifactReader, loadSummary, type ReadText } from './read-summary.ts';
import { costOf } from './run-cost.ts';
import { runMetrics } from './run-metrics.ts';
import { costSettingsOf, type EvaluateConfig, settingsOf } from './settings.ts';

export interface EvaluateDependencies {
  config: EvaluateConfig;
  /** Reads summary.json from s3:// artifacts. */
  s3: S3Client;
  /** Reads summary.json; by default from S3 with `s3`, and file:// from the local disk. */
  read?: ReadText;
  /** Where the run's metrics go: EMF in Lambda (emf-metrics.ts), noMetrics locally. */
  metrics: MetricSink;
  /**
   * The execution's input, read only when Prepare built no run, to report the run under the
   * input's job; the state does not carry the input (it may be up to 256 KiB).
   */
  executionInput: ExecutionInputReader;
  /** The clock, for a task that has not stopped yet (its cost runs to now). */
  now?: () => number;
}

export function createEvaluate({
  config,
  s3,
  read = artifactReader(s3),
  metrics,
  executionInput,
  now = Date.now,
}: EvaluateDependencies) {
  const settings = settingsOf(config);
  const costSettings = costSettingsOf(config);
  return middy<EvaluateEvent, Evaluation>()
    .use(invocationLogging())
    .handler(async (received) => {
      const event = eventOf(received);
      const judgement = judge(event.state, settings);
      const run = runOf(event);
      const attemptArtifacts = attemptArtifactsUriOf(event);
      const summary =
        judgement.readSummary && attemptArtifacts !== undefined
          ? await loadSummary(attemptArtifacts, { exitCode: judgement.exitCode }, read)
          : null;
      const input = run === undefined ? await inputOrNothing(executionInput, event) : undefined;
      const evaluation = buildEvaluation(
        { ...event, executionInput: input },
        settings,
        judgement,
        summary,
        costOf(event.state, attemptOf(event.state), event.executionArn, costSettings, now()),
      );
      logger.info('evaluated', {
        verdict: evaluation.verdict,
        exitCode: evaluation.exitCode,
        stopCode: evaluation.stopCode,
        attempt: evaluation.attempt,
        retry: evaluation.retry,
        costUsd: evaluation.cost?.usd,
      });
      for (const metric of runMetrics(evaluation, config.ALARM_ON, config.STATE_MACHINE_NAME)) {
        metrics.count(metric);
      }
      return evaluation;
    });
}

/**
 * The execution's input, or undefined when it cannot be read: the run is then reported under
 * the job `unknown`, as a verdict matters more than its job's name.
 */
async function inputOrNothing(
  reader: ExecutionInputReader,
  event: EvaluateEvent,
): Promise<unknown> {
  if (event.executionArn === undefined) return undefined;
  try {
    return await reader.read(event.executionArn);
  } catch (error) {
    logger.warn('the execution input could not be read; the run is reported as job unknown', {
      error: error instanceof Error ? error.message : String(error),
    });
    return undefined;
  }
}

/** The event as the state machine sends it; anything else is judged as an empty state. */
function eventOf(received: unknown): EvaluateEvent {
  const fields =
    typeof received === 'object' && received !== null
      ? (received as Partial<EvaluateEvent>)
      : ({} as Partial<EvaluateEvent>);
  return {
    state: typeof fields.state === 'object' && fields.state !== null ? fields.state : {},
    executionName: typeof fields.executionName === 'string' ? fields.executionName : 'unknown',
    ...(typeof fields.executionArn === 'string' ? { executionArn: fields.executionArn } : {}),
  };
}
