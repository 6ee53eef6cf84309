// One AWS SDK client per service, all for the same region and account, built from the
// environment as the AWS CLI reads it: AWS_PROFILE (or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY),
// AWS_REGION (or the profile's region), AWS_ENDPOINT_URL (a stand-in such as moto), and
// `--region`. Clients are made on first use, so a command only builds what it calls.
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient, type SFNClientConfig } from '@aws-sdk/client-sfn';
import { CliError } from '../errors.ts';
import type { CommandContext } from './context.ts';

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

/**
 * The clients for `--region` (or the environment's region).
 * @throws CliError when no region is set anywhere.
 */
export async function awsClients(
  context: CommandContext,
  regionOption: string | undefined,
): Promise<AwsClients> {
  const given = regionOption ?? (context.env.AWS_REGION || context.env.AWS_DEFAULT_REGION);
  const config = sharedConfig(context, given || undefined);
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
    throw new CliError(
      'no AWS region: set AWS_REGION, give the profile a region, or pass --region',
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

/** Runs `work` with the clients and destroys them afterwards (no sockets left open). */
export async function withClients<T>(
  context: CommandContext,
  regionOption: string | undefined,
  work: (clients: AwsClients) => Promise<T>,
): Promise<T> {
  const clients = await awsClients(context, regionOption);
  try {
    return await work(clients);
  } finally {
    clients.destroy();
  }
}
