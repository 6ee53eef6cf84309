/**
 * Evaluate: judges how the run ended (the .sync task, the error RunDbt's Catch caught, or the
 * error Prepare failed with) into a verdict, reads the run's summary.json when the dbt
 * container ran to an exit, and tells the state machine whether to make another attempt.
 * The decisions are in classify.ts, summary.ts and evaluate.ts; this file does the I/O.
 *
 * It does not throw on what ECS or Step Functions send; if it throws anyway (a bug, a Lambda
 * crash), the state machine's EvaluateFailed state stands in with INFRA_FAILED.
 *
 * handler.ts builds it for Lambda from the environment; `serverless-dbt local` builds it with
 * a local stage's settings.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import type { EvaluateEvent, Evaluation } from '../shared/contracts.ts';
import { invocationLogging, logger } from '../shared/logger.ts';
import { judge } from './classify.ts';
import { buildEvaluation, runOf } from './evaluate.ts';
import { artifactReader, loadSummary, type ReadText } from './read-summary.ts';
import { type EvaluateConfig, settingsOf } from './settings.ts';

export interface EvaluateDependencies {
  config: EvaluateConfig;
  /** Reads summary.json from s3:// artifacts. */
  s3: S3Client;
  /** Reads summary.json; by default from S3 with `s3`, and file:// from the local disk. */
  read?: ReadText;
}

export function createEvaluate({ config, s3, read = artifactReader(s3) }: EvaluateDependencies) {
  const settings = settingsOf(config);
  return middy<EvaluateEvent, Evaluation>()
    .use(invocationLogging())
    .handler(async (received) => {
      const event = eventOf(received);
      const judgement = judge(event.state, settings);
      const run = runOf(event);
      const summary =
        judgement.readSummary && typeof run?.artifactsUri === 'string'
          ? await loadSummary(run.artifactsUri, { exitCode: judgement.exitCode }, read)
          : null;
      const evaluation = buildEvaluation(event, settings, judgement, summary);
      logger.info('evaluated', {
        verdict: evaluation.verdict,
        exitCode: evaluation.exitCode,
        stopCode: evaluation.stopCode,
        attempt: evaluation.attempt,
        retry: evaluation.retry,
      });
      return evaluation;
    });
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
    executionInput: fields.executionInput,
  };
}
