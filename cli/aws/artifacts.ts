// A run's artifacts in S3, as the CLI shows them: summary.json for the report, a presigned
// link to the self-contained docs page, and which attempt of a run stored last.
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { attemptNamedIn } from '../../functions/shared/artifacts-layout.ts';
import { CliError } from '../errors.ts';
import type { SummaryForReport } from '../report.ts';
import type { S3Location } from './names.ts';
import { summaryFromText } from './outcome.ts';

/** How long a docs link works. */
export const DOCS_LINK_SECONDS = 3600;

const statusOf = (error: unknown): number | undefined =>
  (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;

const isMissing = (error: unknown): boolean =>
  error instanceof Error &&
  (error.name === 'NoSuchKey' || error.name === 'NotFound' || statusOf(error) === 404);

/** Whether the object exists (HeadObject). */
export async function objectExists(s3: S3Client, location: S3Location): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: location.bucket, Key: location.key }));
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    // A HEAD request's refusal has no body to name it: just the status.
    if (statusOf(error) === 403) {
      throw new CliError(
        `AWS refused to read s3://${location.bucket}/${location.key} (403 Forbidden): the credentials need s3:GetObject on the bucket`,
      );
    }
    throw error;
  }
}

/** Whether anything is stored under the folder `s3://bucket/prefix/` (one ListObjectsV2). */
export async function folderExists(s3: S3Client, folder: S3Location): Promise<boolean> {
  const prefix = folder.key.endsWith('/') ? folder.key : `${folder.key}/`;
  const listed = await s3.send(
    new ListObjectsV2Command({ Bucket: folder.bucket, Prefix: prefix, MaxKeys: 1 }),
  );
  return (listed.KeyCount ?? listed.Contents?.length ?? 0) > 0;
}

/**
 * The run's summary.json, or null when there is none (the run failed before the container
 * wrote it) or it cannot be read as a summary. The report is complete without it.
 */
export async function readSummary(
  s3: S3Client,
  location: S3Location,
): Promise<SummaryForReport | null> {
  try {
    const response = await s3.send(
      new GetObjectCommand({ Bucket: location.bucket, Key: location.key }),
    );
    const text = (await response.Body?.transformToString('utf-8')) ?? '';
    return summaryFromText(text);
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

/**
 * The attempt a run's last-attempt.json names (the last that stored artifacts), or undefined
 * when the run has none: it stored nothing, or it was stored before attempts had folders.
 */
export async function lastAttemptOf(
  s3: S3Client,
  location: S3Location,
): Promise<number | undefined> {
  try {
    const response = await s3.send(
      new GetObjectCommand({ Bucket: location.bucket, Key: location.key }),
    );
    return attemptNamedIn((await response.Body?.transformToString('utf-8')) ?? '');
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/** A link anyone can open for an hour, to this one object only (GET, presigned). */
export async function presignedLink(s3: S3Client, location: S3Location): Promise<string> {
  return getSignedUrl(s3, new GetObjectCommand({ Bucket: location.bucket, Key: location.key }), {
    expiresIn: DOCS_LINK_SECONDS,
  });
}

/** The presigned link to a docs page, or null when the page does not exist. */
export async function docsLink(s3: S3Client, location: S3Location): Promise<string | null> {
  return (await objectExists(s3, location)) ? presignedLink(s3, location) : null;
}
