// One AWS SDK client per service, all for the same region and account, built from the
// environment as the AWS CLI reads it: AWS_PROFILE (or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)
// and AWS_ENDPOINT_URL (a stand-in such as moto). The region is the first of: `--region`,
// AWS_REGION (or AWS_DEFAULT_REGION), the stage's region in serverless.yml, the profile's.
// Clients are made on first use, so a command only builds what it calls.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient, type SFNClientConfig } from '@aws-sdk/client-sfn';
import { CliError, networkErrorCodeOf } from '../errors.ts';
import type { CommandContext } from './context.ts';
import { type ProjectRegion, projectRegionOf } from './project-region.ts';

export interface AwsClients {
  region: string;
  sfn: () => SFNClient;
  cloudFormation: () => CloudFormationClient;
  logs: () => CloudWatchLogsClient;
  s3: () => S3Client;
  destroy: () => void;
}

/** The settings shared by every client: region, endpoint, profile or credentials. */
interface SharedConfig {
  region?: string;
  endpoint?: string;
  profile?: string;
  credentials?: SFNClientConfig['credentials'];
  maxAttempts: number;
}

function sharedConfig(context: CommandContext, region: string | undefined): SharedConfig {
  const { env } = context;
  const config: SharedConfig = { maxAttempts: 5 };
  if (region !== undefined) config.region = region;
  const endpoint = env.AWS_ENDPOINT_URL;
  if (endpoint) config.endpoint = endpoint;
  if (context.credentials !== undefined) {
    config.credentials = context.credentials;
  } else if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    config.credentials = {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
  } else if (env.AWS_PROFILE) {
    config.profile = env.AWS_PROFILE;
  }
  return config;
}

/** Whose clients: the stage (its region in serverless.yml) and the `--region` option. */
export interface ClientsFor {
  stage: string;
  region: string | undefined;
}

/**
 * The clients for the stage's region (see the order above).
 * @throws CliError when AWS_PROFILE names no profile, or no region is set anywhere.
 */
export async function awsClients(context: CommandContext, target: ClientsFor): Promise<AwsClients> {
  const { env } = context;
  const given = target.region || env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined;
  const config = sharedConfig(context, given);
  if (config.profile !== undefined) checkProfileExists(config.profile, env);
  // Only asked when needed: the project may take a second to answer (project-region.ts).
  const project: ProjectRegion | undefined =
    given === undefined ? await projectRegionOf(target.stage, context.project) : undefined;
  if (project?.region !== undefined) config.region = project.region;
  const made: Array<{ destroy: () => void }> = [];
  const lazily = <T extends { destroy: () => void }>(make: () => T): (() => T) => {
    let client: T | undefined;
    return () => {
      if (client === undefined) {
        client = make();
        made.push(client);
      }
      return client;
    };
  };
  const sfn = lazily(() => new SFNClient(config));
  let region: string;
  try {
    // The SDK's own resolution: the option or env above, else the profile's region.
    region = await sfn().config.region();
  } catch {
    region = '';
  }
  if (!region) {
    const why = project !== undefined && project.region === undefined ? ` (${project.why})` : '';
    throw new CliError(
      `no AWS region: set AWS_REGION, give the profile a region, or pass --region${why}`,
    );
  }
  const withRegion = { ...config, region };
  return {
    region,
    sfn,
    cloudFormation: lazily(() => new CloudFormationClient(withRegion)),
    logs: lazily(() => new CloudWatchLogsClient(withRegion)),
    // Path-style addressing when an endpoint stands in for S3: `bucket.127.0.0.1` resolves
    // nowhere.
    s3: lazily(() => new S3Client({ ...withRegion, forcePathStyle: Boolean(config.endpoint) })),
    destroy: () => {
      for (const client of made) client.destroy();
    },
  };
}

/**
 * Runs `work` with the clients and destroys them afterwards (no sockets left open).
 * @throws CliError naming AWS_ENDPOINT_URL when it is set and cannot be reached.
 */
export async function withClients<T>(
  context: CommandContext,
  target: ClientsFor,
  work: (clients: AwsClients) => Promise<T>,
): Promise<T> {
  const clients = await awsClients(context, target);
  try {
    return await work(clients);
  } catch (error) {
    const endpoint = context.env.AWS_ENDPOINT_URL;
    const code = networkErrorCodeOf(error);
    if (endpoint && code !== undefined) {
      throw new CliError(
        `could not reach AWS_ENDPOINT_URL ${endpoint} (${code}): start what serves it, or unset AWS_ENDPOINT_URL to reach AWS itself`,
      );
    }
    throw error;
  } finally {
    clients.destroy();
  }
}

/** The files the SDK reads profiles from, as it finds them. */
function profileFilesOf(env: Record<string, string | undefined>): string[] {
  const home = env.HOME || env.USERPROFILE || homedir();
  return [
    env.AWS_CONFIG_FILE || join(home, '.aws', 'config'),
    env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials'),
  ];
}

// `[profile name]` in the config file, `[name]` in the credentials file (and `[default]`).
const SECTION_RE = /^\s*\[\s*(?:profile\s+)?([^\]]+?)\s*\]/;

/**
 * The SDK answers a profile that does not exist as if no credentials were set anywhere, and
 * the profile's region as missing: say what is wrong instead.
 * @throws CliError when neither file has the profile.
 */
function checkProfileExists(profile: string, env: Record<string, string | undefined>): void {
  const files = profileFilesOf(env);
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      const section = SECTION_RE.exec(line)?.[1];
      if (section === profile) return;
    }
  }
  throw new CliError(
    `AWS_PROFILE names a profile that does not exist: no [profile ${profile}] in ${files[0]} and no [${profile}] in ${files[1]} (aws configure list-profiles lists them)`,
  );
}
