/**
 * Reading summary.json where the container stored it: S3 in AWS, a file:// folder on a host
 * (local runs call this very handler). A summary is a bonus to the verdict, never a condition
 * of it: a missing file is normal (the task never got that far), and a file that cannot be
 * read or used is logged and left out; neither fails the evaluation.
 */
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { logger } from '../shared/logger.ts';
import {
  type EvaluationSummary,
  parseSummary,
  type SummaryExpectation,
  type SummaryLocation,
  summaryLocation,
} from './summary.ts';

/** The text at a location, or undefined when nothing is there; throws for anything else. */
export type ReadText = (location: SummaryLocation) => Promise<string | undefined>;

/** Larger than any summary the container writes (its nodes' messages are cut to 500). */
export const MAX_SUMMARY_BYTES = 16 * 1024 * 1024;

const tooLarge = (bytes: number) =>
  new Error(`summary.json is ${bytes} bytes, more than the ${MAX_SUMMARY_BYTES} read`);

/** Reads from S3 with the given client, and file:// URLs from the local disk. */
export function artifactReader(s3: S3Client): ReadText {
  return (location) =>
    location.kind === 's3'
      ? readObject(s3, location.bucket, location.key)
      : readLocal(location.url);
}

async function readObject(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = response.ContentLength ?? 0;
    if (bytes > MAX_SUMMARY_BYTES) {
      (response.Body as { destroy?: () => void } | undefined)?.destroy?.();
      throw tooLarge(bytes);
    }
    return (await response.Body?.transformToString('utf-8')) ?? '';
  } catch (error) {
    // NoSuchKey needs s3:ListBucket on the bucket; without it S3 says AccessDenied instead.
    const name = (error as { name?: unknown } | null)?.name;
    if (name === 'NoSuchKey' || name === 'NotFound') return undefined;
    throw error;
  }
}

async function readLocal(url: string): Promise<string | undefined> {
  const path = fileURLToPath(url);
  try {
    const { size } = await stat(path);
    if (size > MAX_SUMMARY_BYTES) throw tooLarge(size);
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The run's summary.json, checked and cut for the evaluation, or null: silently when there is
 * none, with a warning when there is one that cannot be read or used. Never throws.
 */
export async function loadSummary(
  artifactsUri: string,
  expected: SummaryExpectation,
  read: ReadText,
): Promise<EvaluationSummary | null> {
  const location = summaryLocation(artifactsUri);
  if (location === undefined) {
    logger.warn('summary.json not read: artifactsUri is neither s3://bucket/… nor file:///…', {
      artifactsUri: artifactsUri.slice(0, 300),
    });
    return null;
  }
  let text: string | undefined;
  try {
    text = await read(location);
  } catch (error) {
    logger.warn('summary.json could not be read', {
      uri: location.uri,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
    return null;
  }
  if (text === undefined) return null;
  const parsed = parseSummary(text, expected);
  if (parsed.problem !== undefined) {
    logger.warn('summary.json ignored', { uri: location.uri, problem: parsed.problem });
    return null;
  }
  return parsed.summary;
}
