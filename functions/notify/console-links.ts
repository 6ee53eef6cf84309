/** Links into the AWS console for a run: its execution, its task's log, its artifacts. */

/** The region of an ARN (`arn:aws:states:<region>:…`). */
export function regionOf(arn: string): string | undefined {
  const region = arn.split(':')[3];
  return region ? region : undefined;
}

export function executionConsoleUrl(executionArn: string, region: string): string {
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

/** CloudWatch's console escapes a path part as encodeURIComponent with '%' written '$25'. */
function cloudWatchEscape(text: string): string {
  return encodeURIComponent(text).replace(/%/g, '$25');
}

export function logStreamConsoleUrl(region: string, logGroup: string, logStream: string): string {
  return (
    `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}` +
    `#logsV2:log-groups/log-group/${cloudWatchEscape(logGroup)}/log-events/${cloudWatchEscape(logStream)}`
  );
}

/** The S3 console's folder view of an `s3://bucket/prefix/` URI (nothing for file://). */
export function artifactsConsoleUrl(artifactsUri: string, region: string): string | undefined {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(artifactsUri);
  if (!match) return undefined;
  const [, bucket = '', prefix = ''] = match;
  const query = prefix ? `&prefix=${encodeURIComponent(prefix)}&showversions=false` : '';
  return `https://s3.console.aws.amazon.com/s3/buckets/${encodeURIComponent(bucket)}?region=${region}${query}`;
}
